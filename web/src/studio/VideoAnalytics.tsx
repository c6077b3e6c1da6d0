// A video's numbers for its creator: views per day over four weeks, and how
// much of the audience is still watching at each second.
import { api, ok } from "../api/client";
import { message } from "../lib/problem";
import { Chart } from "../ui/Chart";
import { FormError } from "../ui/Field";
import { Loading } from "../ui/Page";
import { useLoad } from "../ui/useLoad";
import { dayLabel, retentionCurve, toUnixDays } from "../lib/charts";

export function VideoAnalytics({ videoId }: { videoId: string }) {
  const a = useLoad(() => ok(api.GET("/api/v1/videos/{id}/analytics", { params: { path: { id: videoId } } })), [videoId]);
  if (a.error) return <FormError text={message(a.error)} />;
  if (!a.data) return <Loading label="Analytics" />;
  const d = a.data;
  const views = d.days.map((x) => x.views);
  const curve = retentionCurve(d.retention.viewers);
  return (
    <section class="section" aria-label="Analytics">
      <h2>Analytics</h2>
      <div class="stats">
        <div class="stat"><span class="muted small">Views</span><strong>{d.totals.views}</strong></div>
        <div class="stat"><span class="muted small">Completion</span><strong>{Math.round(d.totals.completion_rate * 100)}%</strong></div>
        <div class="stat"><span class="muted small">Product taps</span><strong>{d.totals.product_clicks}</strong></div>
        <div class="stat"><span class="muted small">Purchases</span><strong>{d.totals.purchases}</strong></div>
      </div>
      <Chart
        title="Views per day"
        time
        x={toUnixDays(d.days.map((x) => x.date))}
        series={[{ label: "Views", values: views, color: "#ff2d55" }]}
        summary={`${views.reduce((n, v) => n + v, 0)} views from ${d.from} to ${d.to}, most in one day ${Math.max(0, ...views)}.`}
        xLabel={dayLabel}
      />
      {curve.x.length > 0 ? (
        <Chart
          title="Audience retention"
          x={curve.x}
          series={[{ label: "Still watching", values: curve.pct, color: "#35d07f" }]}
          summary={`Of ${d.retention.views} views, ${Math.round(curve.pct[curve.pct.length - 1] ?? 0)}% were still watching at the end.`}
          xLabel={(s) => s + " s"}
          yFormat={(p) => Math.round(p) + "%"}
        />
      ) : (
        <p class="muted">Retention shows once the video has views.</p>
      )}
    </section>
  );
}
