// A small line chart of CPU and memory use (0-100 %) over a time window, drawn as SVG in the theme's colours.
import type { ResourcePoint } from './resource-history';

const WIDTH = 600;
const HEIGHT = 160;

export function ResourceChart({ points, windowMs }: { points: readonly ResourcePoint[]; windowMs: number }) {
  const end = points.at(-1)?.at ?? Date.now();
  const x = (at: number) => ((at - (end - windowMs)) / windowMs) * WIDTH;
  const y = (percent: number) => HEIGHT - (percent / 100) * HEIGHT;
  const line = (value: (point: ResourcePoint) => number) => points.map((point) => `${x(point.at).toFixed(1)},${y(value(point)).toFixed(1)}`).join(' ');
  const latest = points.at(-1);
  const label = latest
    ? `Resource usage over the last ${windowMs / 60_000} minutes: CPU ${latest.cpuPercent.toFixed(0)} %, memory ${latest.memoryUsedPercent.toFixed(0)} %`
    : `Resource usage over the last ${windowMs / 60_000} minutes: no samples yet`;
  return (
    <figure className="chart">
      <svg role="img" aria-label={label} viewBox={`0 0 ${WIDTH} ${HEIGHT}`} preserveAspectRatio="none">
        {[25, 50, 75].map((percent) => (
          <line key={percent} className="grid" x1={0} x2={WIDTH} y1={y(percent)} y2={y(percent)} />
        ))}
        <polyline className="series cpu" points={line((point) => point.cpuPercent)} />
        <polyline className="series memory" points={line((point) => point.memoryUsedPercent)} />
        {points.length === 1 && latest ? (
          <>
            <circle className="series-dot cpu" cx={x(latest.at)} cy={y(latest.cpuPercent)} r={3} />
            <circle className="series-dot memory" cx={x(latest.at)} cy={y(latest.memoryUsedPercent)} r={3} />
          </>
        ) : null}
      </svg>
      <figcaption>
        <span className="legend cpu">CPU</span> <span className="legend memory">Memory</span> · 0–100 %, newest on the right
      </figcaption>
    </figure>
  );
}
