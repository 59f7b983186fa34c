/**
 * Events collected per hour as an inline SVG bar chart (no chart library): one bar per hour, the
 * oldest on the left, a day label at each midnight. Accessible as one image with a summary, and
 * each bar carries its own tooltip.
 */
import { makeStyles, tokens } from '@fluentui/react-components';
import { useId, useMemo } from 'react';
import type { HourlyCount } from '../../shared/sessions.ts';
import { formatCount } from './format.ts';

const HOUR = 3_600_000;
const WIDTH = 720;
const HEIGHT = 200;
const LEFT = 44;
const RIGHT = 8;
const TOP = 10;
const BOTTOM = 26;

const useStyles = makeStyles({
  svg: { display: 'block', width: '100%', height: 'auto', overflow: 'visible' },
  bar: { fill: tokens.colorBrandBackground },
  barZero: { fill: tokens.colorNeutralStroke2 },
  grid: { stroke: tokens.colorNeutralStroke2, strokeWidth: 1, shapeRendering: 'crispEdges' },
  axis: { stroke: tokens.colorNeutralStroke1, strokeWidth: 1, shapeRendering: 'crispEdges' },
  label: { fill: tokens.colorNeutralForeground3, fontSize: '11px', fontFamily: tokens.fontFamilyBase },
});

const dayLabel = new Intl.DateTimeFormat(undefined, { weekday: 'short', day: 'numeric' });
const hourLabel = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const fullLabel = new Intl.DateTimeFormat(undefined, { weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });

/** A round upper bound for the y axis (1, 2, 5 × 10ⁿ). */
function niceMax(value: number): number {
  if (value <= 4) return 4;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

/** One bucket per hour for the last `hours` hours (ending with the current one), zero where the engine has none. */
export function hourlyBuckets(data: HourlyCount[], hours: number, now: number): { start: number; events: number }[] {
  const end = Math.floor(now / HOUR) * HOUR;
  const byHour = new Map<number, number>();
  for (const row of data) {
    const t = Date.parse(row.hour);
    if (Number.isNaN(t)) continue;
    const key = Math.floor(t / HOUR) * HOUR;
    byHour.set(key, (byHour.get(key) ?? 0) + row.events);
  }
  const buckets: { start: number; events: number }[] = [];
  for (let i = hours - 1; i >= 0; i--) {
    const start = end - i * HOUR;
    buckets.push({ start, events: byHour.get(start) ?? 0 });
  }
  return buckets;
}

export function EventsChart({ data, hours, now, testId }: { data: HourlyCount[]; hours: number; now: number; testId?: string }) {
  const styles = useStyles();
  const id = useId();
  const buckets = useMemo(() => hourlyBuckets(data, hours, now), [data, hours, now]);
  const total = buckets.reduce((sum, b) => sum + b.events, 0);
  const peak = buckets.reduce((best, b) => (b.events > best.events ? b : best), buckets[0] ?? { start: now, events: 0 });
  const max = niceMax(peak.events);
  const plotW = WIDTH - LEFT - RIGHT;
  const plotH = HEIGHT - TOP - BOTTOM;
  const slot = plotW / Math.max(1, buckets.length);
  const barW = Math.max(1, slot * 0.72);
  const y = (v: number) => TOP + plotH - (v / max) * plotH;
  const summary =
    total === 0
      ? `No events were collected in the last ${hours} hours.`
      : `${formatCount(total)} events in the last ${hours} hours; the busiest hour was ${fullLabel.format(peak.start)} with ${formatCount(peak.events)}.`;

  return (
    <svg
      className={styles.svg}
      viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
      role="img"
      aria-labelledby={`${id}-title ${id}-desc`}
      data-testid={testId}
      data-total={total}
      data-bars={buckets.length}
    >
      <title id={`${id}-title`}>{`Events collected per hour, last ${hours} hours`}</title>
      <desc id={`${id}-desc`}>{summary}</desc>
      {[0, 0.5, 1].map((f) => (
        <g key={f}>
          <line className={f === 0 ? styles.axis : styles.grid} x1={LEFT} x2={WIDTH - RIGHT} y1={y(max * f)} y2={y(max * f)} />
          <text className={styles.label} x={LEFT - 6} y={y(max * f)} textAnchor="end" dominantBaseline="middle">
            {formatCount(max * f)}
          </text>
        </g>
      ))}
      {buckets.map((b, i) => {
        const x = LEFT + i * slot + (slot - barW) / 2;
        const h = b.events === 0 ? 1 : Math.max(2, (b.events / max) * plotH);
        const date = new Date(b.start);
        const midnight = date.getHours() === 0;
        const noon = date.getHours() === 12;
        return (
          <g key={b.start}>
            <rect className={b.events === 0 ? styles.barZero : styles.bar} x={x} y={TOP + plotH - h} width={barW} height={h} rx={Math.min(2, barW / 3)}>
              <title>{`${fullLabel.format(b.start)}: ${formatCount(b.events)} events`}</title>
            </rect>
            {midnight || (noon && hours <= 72) ? (
              <>
                <line className={styles.grid} x1={x + barW / 2} x2={x + barW / 2} y1={TOP + plotH} y2={TOP + plotH + 4} />
                <text className={styles.label} x={x + barW / 2} y={HEIGHT - 6} textAnchor="middle">
                  {midnight ? dayLabel.format(b.start) : hourLabel.format(b.start)}
                </text>
              </>
            ) : null}
          </g>
        );
      })}
    </svg>
  );
}
