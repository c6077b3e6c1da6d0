// What the creator's videos have sold, and the commission it earned.
import { api, ok } from "../api/client";
import { formatMoney } from "../lib/money";
import { message } from "../lib/problem";
import { FormError } from "../ui/Field";
import { Empty, Loading, Page } from "../ui/Page";
import { Link } from "../ui/router";
import { useLoad } from "../ui/useLoad";

export function Earnings() {
  const e = useLoad(() => ok(api.GET("/api/v1/me/earnings")), []);
  return (
    <Page title="Earnings" back>
      {e.error !== undefined && <FormError text={message(e.error)} />}
      {!e.data && !e.error && <Loading />}
      {e.data && (
        <>
          <section class="stats">
            <div class="stat"><span class="muted small">Pending (paid, not yet received)</span><strong>{formatMoney(e.data.pending)}</strong></div>
            <div class="stat"><span class="muted small">Earned (orders completed)</span><strong>{formatMoney(e.data.settled)}</strong></div>
          </section>
          <section class="section">
            <h2>By video</h2>
            {e.data.videos.length === 0 && <Empty>When someone buys a product you pinned, it shows here.</Empty>}
            {e.data.videos.length > 0 && (
              <table class="table">
                <thead>
                  <tr><th>Video</th><th class="num">Carts</th><th class="num">Sold</th><th class="num">Revenue</th><th class="num">Commission</th></tr>
                </thead>
                <tbody>
                  {e.data.videos.map((v) => (
                    <tr key={v.video_id}>
                      <td><Link href={"/studio/videos/" + v.video_id}>…{v.video_id.slice(-6)}</Link></td>
                      <td class="num">{v.add_to_carts}</td>
                      <td class="num">{v.units}</td>
                      <td class="num">{formatMoney(v.revenue)}</td>
                      <td class="num">{formatMoney({ amount_minor: v.pending.amount_minor + v.settled.amount_minor, currency: v.pending.currency })}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </section>
        </>
      )}
    </Page>
  );
}
