// A shop's sales over the last 30 days: revenue, orders and units per day
// as charts (their numbers one click away as tables), and the videos that
// sold the most.
import { api, ok, type Schemas } from "../api/client";
import { dayLabel, toUnixDays } from "../lib/charts";
import { formatMoney } from "../lib/money";
import { message } from "../lib/problem";
import { Chart } from "../ui/Chart";
import { FormError } from "../ui/Field";
import { Empty, Loading } from "../ui/Page";
import { Link } from "../ui/router";
import { useLoad } from "../ui/useLoad";

type Analytics = Schemas["ShopAnalytics"];

export function ShopAnalytics({ shopId }: { shopId: string }) {
  const a = useLoad(() => ok(api.GET("/api/v1/shops/{id}/analytics", { params: { path: { id: shopId } } })), [shopId]);
  if (a.error) return <FormError text={message(a.error)} />;
  if (!a.data) return <Loading label="Analytics" />;
  const d = a.data;
  if (d.orders === 0) {
    return (
      <Empty>
        <p>No sales in the last {d.days.length} days yet.</p>
        <p class="small">When someone buys, each day's orders, units and revenue show here, with the videos they bought from.</p>
      </Empty>
    );
  }
  const x = toUnixDays(d.days.map((s) => s.day));
  return (
    <>
      <section class="stats" aria-label={`Last ${d.days.length} days`}>
        <div class="stat"><span class="muted small">Revenue</span><strong>{formatMoney(d.revenue)}</strong></div>
        <div class="stat"><span class="muted small">Orders</span><strong>{d.orders}</strong></div>
        <div class="stat"><span class="muted small">Units</span><strong>{d.units}</strong></div>
        <div class="stat"><span class="muted small">Average order</span><strong>{formatMoney({ ...d.revenue, amount_minor: Math.round(d.revenue.amount_minor / d.orders) })}</strong></div>
      </section>
      <RevenueChart d={d} x={x} />
      <TopVideos videos={d.top_videos} />
      <VolumeChart d={d} x={x} />
    </>
  );
}

function RevenueChart({ d, x }: { d: Analytics; x: number[] }) {
  const revenue = d.days.map((s) => s.revenue.amount_minor);
  const best = revenue.indexOf(Math.max(...revenue));
  const money = (minor: number) => formatMoney({ amount_minor: minor, currency: d.revenue.currency });
  return (
    <Chart
      title="Revenue per day"
      time
      x={x}
      series={[{ label: "Revenue", values: revenue, color: "#35d07f" }]}
      summary={`${formatMoney(d.revenue)} from ${d.from} to ${d.to}, most in one day ${money(revenue[best]!)} on ${dayLabel(x[best]!)}.`}
      xLabel={dayLabel}
      yFormat={money}
    />
  );
}

/** Orders and units are whole: the axis labels only its whole ticks. */
const count = (n: number) => (Number.isInteger(n) ? String(n) : "");

function VolumeChart({ d, x }: { d: Analytics; x: number[] }) {
  return (
    <Chart
      title="Orders and units"
      time
      x={x}
      series={[
        { label: "Orders", values: d.days.map((s) => s.orders), color: "#ff2d55" },
        { label: "Units", values: d.days.map((s) => s.units), color: "#5ac8fa" },
      ]}
      summary={`${d.orders} orders and ${d.units} units from ${d.from} to ${d.to}.`}
      xLabel={dayLabel}
      yFormat={count}
    />
  );
}

function TopVideos({ videos }: { videos: Schemas["VideoSales"][] }) {
  return (
    <section class="section">
      <h2>Top videos by revenue</h2>
      {videos.length === 0 ? (
        <p class="muted">None of these sales came from a video.</p>
      ) : (
        <table class="table">
          <thead>
            <tr><th>Video</th><th class="num">Orders</th><th class="num">Units</th><th class="num">Revenue</th></tr>
          </thead>
          <tbody>
            {videos.map((v) => (
              <tr key={v.video_id}>
                <td><Link class="clamp" href={"/v/" + v.video_id}>{v.caption || "Untitled or deleted video"}</Link></td>
                <td class="num">{v.orders}</td>
                <td class="num">{v.units}</td>
                <td class="num">{formatMoney(v.revenue)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
