// A small time or position chart drawn by uPlot (loaded with the first
// chart, in its own chunk). The canvas is described for screen readers by
// a summary, and the numbers are one click away as a table.
import { useEffect, useRef, useState } from "preact/hooks";
import type uPlot from "uplot";

export interface Series {
  label: string;
  values: number[];
  color: string;
}

interface Props {
  title: string;
  /** x values: unix seconds when time is true, else plain numbers (seconds into a video). */
  x: number[];
  series: Series[];
  time?: boolean;
  summary: string;
  xLabel?: (x: number) => string;
  yFormat?: (y: number) => string;
}

/** yAxisSize widens the y axis to its longest label (money such as "$1,250.00"), about 7 px a character. */
function yAxisSize(_u: uPlot, values: string[] | null): number {
  return Math.max(50, 18 + 7 * Math.max(0, ...(values ?? []).map((v) => v.length)));
}

export function Chart({ title, x, series, time = false, summary, xLabel, yFormat }: Props) {
  const box = useRef<HTMLDivElement>(null);
  const [table, setTable] = useState(false);

  useEffect(() => {
    const el = box.current;
    if (!el || x.length === 0) return;
    let plot: uPlot | null = null;
    let gone = false;
    const ro = new ResizeObserver(() => plot?.setSize({ width: el.clientWidth, height: 200 }));
    void Promise.all([import("uplot"), import("uplot/dist/uPlot.min.css")]).then(([{ default: UPlot }]) => {
      if (gone) return;
      const axis = { stroke: "#b4b4c3", grid: { stroke: "#2c2c38" }, ticks: { stroke: "#2c2c38" } };
      plot = new UPlot(
        {
          width: el.clientWidth,
          height: 200,
          scales: { x: { time } },
          legend: { show: series.length > 1 },
          cursor: { drag: { x: false, y: false } },
          axes: [
            { ...axis, values: xLabel ? (_u: uPlot, vals: number[]) => vals.map(xLabel) : undefined },
            { ...axis, size: yAxisSize, values: yFormat ? (_u: uPlot, vals: number[]) => vals.map(yFormat) : undefined },
          ],
          series: [{}, ...series.map((s) => ({ label: s.label, stroke: s.color, width: 2, fill: s.color + "22", points: { show: false } }))],
        },
        [x, ...series.map((s) => s.values)],
        el,
      );
      ro.observe(el);
    });
    return () => {
      gone = true;
      ro.disconnect();
      plot?.destroy();
    };
  }, [x, series, time]);

  return (
    <figure class="chart-figure">
      <figcaption class="row row--between">
        <strong>{title}</strong>
        <button type="button" class="btn btn--small btn--ghost" aria-expanded={table} onClick={() => setTable(!table)}>
          {table ? "Hide table" : "Show as table"}
        </button>
      </figcaption>
      <div class="chart" ref={box} role="img" aria-label={`${title}: ${summary}`} />
      {table && (
        <table class="table">
          <thead>
            <tr><th>{time ? "Day" : "Second"}</th>{series.map((s) => <th class="num" key={s.label}>{s.label}</th>)}</tr>
          </thead>
          <tbody>
            {x.map((v, i) => (
              <tr key={v}>
                <td>{xLabel ? xLabel(v) : v}</td>
                {series.map((s) => <td class="num" key={s.label}>{yFormat ? yFormat(s.values[i] ?? 0) : s.values[i]}</td>)}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </figure>
  );
}
