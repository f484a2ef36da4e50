// Inline SVG charts as strings: no chart library, no network, every label escaped. Pure functions, so a test
// can check the markup without a browser.
import { escapeHtml } from './escape-html.js';

const PALETTE = ['#2563eb', '#dc2626', '#059669', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#65a30d', '#475569', '#ea580c'];

export function colorFor(index: number): string {
  return PALETTE[index % PALETTE.length] as string;
}

/** Up to ~`count` round tick values covering [min, max]. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [];
  if (min === max) return [min];
  const span = max - min;
  const step0 = span / Math.max(1, count);
  const magnitude = 10 ** Math.floor(Math.log10(step0));
  const step = ([1, 2, 2.5, 5, 10].find((f) => f * magnitude >= step0) ?? 10) * magnitude;
  const ticks: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

function domain(values: readonly number[], pad = 0.05): [number, number] {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return [0, 1];
  let lo = Math.min(...finite);
  let hi = Math.max(...finite);
  if (lo === hi) {
    lo -= 1;
    hi += 1;
  }
  const p = (hi - lo) * pad;
  return [lo - p, hi + p];
}

function tickLabel(v: number): string {
  const abs = Math.abs(v);
  return abs >= 100 || Number.isInteger(v) ? String(Math.round(v * 100) / 100) : abs >= 1 ? v.toFixed(1) : v.toFixed(2);
}

interface Frame {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
  x: (v: number) => number;
  y: (v: number) => number;
}

function frame(width: number, height: number, xDomain: [number, number], yDomain: [number, number]): Frame {
  const left = 56;
  const right = 16;
  const top = 16;
  const bottom = 44;
  const x = (v: number): number => left + ((v - xDomain[0]) / (xDomain[1] - xDomain[0])) * (width - left - right);
  const y = (v: number): number => height - bottom - ((v - yDomain[0]) / (yDomain[1] - yDomain[0])) * (height - top - bottom);
  return { width, height, left, right, top, bottom, x, y };
}

function axes(f: Frame, xDomain: [number, number], yDomain: [number, number], xLabel: string, yLabel: string, xTicks = true): string {
  const parts: string[] = [];
  for (const t of niceTicks(yDomain[0], yDomain[1])) {
    const y = f.y(t).toFixed(1);
    parts.push(`<line class="grid" x1="${f.left}" x2="${f.width - f.right}" y1="${y}" y2="${y}"/>`, `<text class="tick" x="${f.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${tickLabel(t)}</text>`);
  }
  if (xTicks) {
    for (const t of niceTicks(xDomain[0], xDomain[1])) {
      const x = f.x(t).toFixed(1);
      parts.push(`<line class="grid" x1="${x}" x2="${x}" y1="${f.top}" y2="${f.height - f.bottom}"/>`, `<text class="tick" x="${x}" y="${f.height - f.bottom + 14}" text-anchor="middle">${tickLabel(t)}</text>`);
    }
  }
  parts.push(
    `<line class="axis" x1="${f.left}" x2="${f.width - f.right}" y1="${f.height - f.bottom}" y2="${f.height - f.bottom}"/>`,
    `<line class="axis" x1="${f.left}" x2="${f.left}" y1="${f.top}" y2="${f.height - f.bottom}"/>`,
    `<text class="label" x="${(f.left + f.width - f.right) / 2}" y="${f.height - 6}" text-anchor="middle">${escapeHtml(xLabel)}</text>`,
    `<text class="label" transform="translate(14 ${(f.top + f.height - f.bottom) / 2}) rotate(-90)" text-anchor="middle">${escapeHtml(yLabel)}</text>`,
  );
  return parts.join('');
}

function open(width: number, height: number, label: string): string {
  return `<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeHtml(label)}">`;
}

export interface ScatterSeries {
  name: string;
  color?: string;
  /** [x, y, tooltip]. */
  points: Array<[number, number, string?]>;
  /** Optional vertical error bars per point: [lo, hi] in y units. */
  errors?: Array<[number, number] | undefined>;
  /** Draw the least-squares line of this series. */
  trend?: boolean;
  /** Text written beside each point (same order as `points`), e.g. the model's name. */
  labels?: ReadonlyArray<string | undefined>;
}

export function scatterChart(options: { series: readonly ScatterSeries[]; xLabel: string; yLabel: string; width?: number; height?: number; title: string; radius?: number }): string {
  const width = options.width ?? 560;
  const height = options.height ?? 340;
  const xs = options.series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = options.series.flatMap((s) => [...s.points.map((p) => p[1]), ...(s.errors ?? []).flatMap((e) => e ?? [])]);
  const xDomain = domain(xs);
  const yDomain = domain(ys);
  const f = frame(width, height, xDomain, yDomain);
  const parts = [open(width, height, options.title), axes(f, xDomain, yDomain, options.xLabel, options.yLabel)];
  options.series.forEach((series, k) => {
    const color = series.color ?? colorFor(k);
    const pts = series.points.filter((p) => Number.isFinite(p[0]) && Number.isFinite(p[1]));
    if (series.trend && pts.length >= 2) {
      const mx = pts.reduce((s, p) => s + p[0], 0) / pts.length;
      const my = pts.reduce((s, p) => s + p[1], 0) / pts.length;
      const sxx = pts.reduce((s, p) => s + (p[0] - mx) ** 2, 0);
      const slope = sxx === 0 ? 0 : pts.reduce((s, p) => s + (p[0] - mx) * (p[1] - my), 0) / sxx;
      const x0 = Math.min(...pts.map((p) => p[0]));
      const x1 = Math.max(...pts.map((p) => p[0]));
      parts.push(`<line class="trend" stroke="${color}" x1="${f.x(x0).toFixed(1)}" x2="${f.x(x1).toFixed(1)}" y1="${f.y(my + slope * (x0 - mx)).toFixed(1)}" y2="${f.y(my + slope * (x1 - mx)).toFixed(1)}"/>`);
    }
    series.points.forEach((p, i) => {
      if (!Number.isFinite(p[0]) || !Number.isFinite(p[1])) return;
      const e = series.errors?.[i];
      if (e && Number.isFinite(e[0]) && Number.isFinite(e[1])) parts.push(`<line class="whisker" stroke="${color}" x1="${f.x(p[0]).toFixed(1)}" x2="${f.x(p[0]).toFixed(1)}" y1="${f.y(e[0]).toFixed(1)}" y2="${f.y(e[1]).toFixed(1)}"/>`);
      parts.push(`<circle class="point" fill="${color}" cx="${f.x(p[0]).toFixed(1)}" cy="${f.y(p[1]).toFixed(1)}" r="${options.radius ?? 4}"><title>${escapeHtml(p[2] ?? `${series.name}: ${tickLabel(p[0])}, ${tickLabel(p[1])}`)}</title></circle>`);
      const label = series.labels?.[i];
      if (label) parts.push(pointLabel(f, f.x(p[0]), f.y(p[1]), (options.radius ?? 4) + 3, label, color));
    });
  });
  parts.push('</svg>');
  return parts.join('');
}

/** Average advance of a 10px sans-serif character, for sizing room for labels without a browser. */
const CHAR_WIDTH = 6.2;

function shortLabel(label: string, max = 22): string {
  return label.length > max ? `${label.slice(0, max - 1)}…` : label;
}

/** A point's label to its right, or to its left where it would run past the plot's right edge. */
function pointLabel(f: Frame, x: number, y: number, gap: number, label: string, color: string): string {
  const text = shortLabel(label);
  const leftward = x + gap + text.length * CHAR_WIDTH > f.width - 2;
  return `<text class="point-label" fill="${color}" x="${(leftward ? x - gap : x + gap).toFixed(1)}" y="${y.toFixed(1)}" text-anchor="${leftward ? 'end' : 'start'}" dominant-baseline="middle">${escapeHtml(text)}</text>`;
}

export interface Bar {
  label: string;
  value: number;
  ci?: [number, number];
  color?: string;
}

/** Vertical bars with CI whiskers; bars start at 0 (or at the domain edge when 0 is outside it). */
export function barChart(options: { bars: readonly Bar[]; yLabel: string; xLabel: string; title: string; width?: number; height?: number }): string {
  const width = options.width ?? Math.max(320, 80 + options.bars.length * 56);
  const height = options.height ?? 280;
  const values = options.bars.flatMap((b) => [b.value, ...(b.ci ?? [])]);
  const yDomain = domain([...values, 0]);
  const f = frame(width, height, [0, options.bars.length], yDomain);
  const parts = [open(width, height, options.title), axes(f, [0, options.bars.length], yDomain, options.xLabel, options.yLabel, false)];
  const slot = (width - f.left - f.right) / Math.max(1, options.bars.length);
  options.bars.forEach((bar, i) => {
    const cx = f.left + slot * (i + 0.5);
    const base = f.y(Math.min(Math.max(0, yDomain[0]), yDomain[1]));
    if (Number.isFinite(bar.value)) {
      const top = f.y(bar.value);
      parts.push(`<rect class="bar" fill="${bar.color ?? colorFor(0)}" x="${(cx - slot * 0.3).toFixed(1)}" width="${(slot * 0.6).toFixed(1)}" y="${Math.min(top, base).toFixed(1)}" height="${Math.max(1, Math.abs(base - top)).toFixed(1)}"><title>${escapeHtml(`${bar.label}: ${bar.value.toFixed(2)}${bar.ci ? ` [${bar.ci[0].toFixed(2)}, ${bar.ci[1].toFixed(2)}]` : ''}`)}</title></rect>`);
    }
    if (bar.ci && Number.isFinite(bar.ci[0]) && Number.isFinite(bar.ci[1])) {
      const [lo, hi] = [f.y(bar.ci[0]).toFixed(1), f.y(bar.ci[1]).toFixed(1)];
      parts.push(`<line class="whisker" x1="${cx}" x2="${cx}" y1="${lo}" y2="${hi}"/><line class="whisker" x1="${cx - 6}" x2="${cx + 6}" y1="${lo}" y2="${lo}"/><line class="whisker" x1="${cx - 6}" x2="${cx + 6}" y1="${hi}" y2="${hi}"/>`);
    }
    parts.push(`<text class="tick" x="${cx.toFixed(1)}" y="${height - f.bottom + 14}" text-anchor="middle">${escapeHtml(bar.label)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}

/** Score heatmap: rows x columns of 0-100 values (NaN = grey). Cells carry `data-row` for click-through. */
export function heatmap(options: { values: readonly (readonly number[])[]; rowLabels: readonly string[]; columnLabels: readonly string[]; title: string; cell?: number }): string {
  const cell = options.cell ?? 14;
  const labelWidth = 48;
  const columnWidth = Math.max(cell, 28);
  // Column labels are rotated 60 degrees up and to the right: room above for sin(60) and to the right of the last
  // column for cos(60) of the longest label, so no label is clipped by the SVG's edge.
  const columnText = options.columnLabels.map((label) => shortLabel(label));
  const longest = Math.max(0, ...columnText.map((t) => t.length)) * CHAR_WIDTH;
  const headerHeight = Math.max(40, Math.ceil(longest * Math.sin(Math.PI / 3)) + 18);
  const rightRoom = Math.max(8, Math.ceil(longest * Math.cos(Math.PI / 3) - columnWidth / 2) + 8);
  const width = labelWidth + options.columnLabels.length * columnWidth + rightRoom;
  const height = headerHeight + options.rowLabels.length * cell + 8;
  const parts = [open(width, height, options.title)];
  columnText.forEach((text, c) => {
    const x = labelWidth + c * columnWidth + columnWidth / 2;
    parts.push(`<text class="tick column-label" transform="translate(${x.toFixed(1)} ${headerHeight - 6}) rotate(-60)" text-anchor="start">${escapeHtml(text)}</text>`);
  });
  options.values.forEach((row, r) => {
    const y = headerHeight + r * cell;
    if (r % Math.max(1, Math.ceil(12 / cell)) === 0) parts.push(`<text class="tick" x="${labelWidth - 4}" y="${y + cell / 2}" text-anchor="end" dominant-baseline="middle">${escapeHtml(options.rowLabels[r] ?? '')}</text>`);
    row.forEach((v, c) => {
      const fill = Number.isFinite(v) ? scoreColor(v) : '#d4d4d8';
      parts.push(`<rect class="cell" data-row="${r}" x="${labelWidth + c * columnWidth}" y="${y}" width="${columnWidth - 1}" height="${cell - 1}" fill="${fill}"><title>${escapeHtml(`item ${options.rowLabels[r] ?? r}, ${options.columnLabels[c] ?? c}: ${Number.isFinite(v) ? v.toFixed(1) : 'no score'}`)}</title></rect>`);
    });
  });
  parts.push('</svg>');
  return parts.join('');
}

/** 0 -> red, 50 -> pale yellow, 100 -> green. */
export function scoreColor(value: number): string {
  const t = Math.min(1, Math.max(0, value / 100));
  const lerp = (a: number, b: number, u: number): number => Math.round(a + (b - a) * u);
  const [r, g, b] = t < 0.5 ? [lerp(220, 250, t * 2), lerp(38, 235, t * 2), lerp(38, 160, t * 2)] : [lerp(250, 22, (t - 0.5) * 2), lerp(235, 163, (t - 0.5) * 2), lerp(160, 74, (t - 0.5) * 2)];
  return `rgb(${r},${g},${b})`;
}

export interface LineSeries {
  name: string;
  color?: string;
  /** Dashed line (e.g. validation beside a solid training curve). */
  dashed?: boolean;
  /** [x, y]; NaN points are skipped. */
  points: ReadonlyArray<readonly [number, number]>;
}

/** Lines with a marker per point, e.g. loss per epoch. */
export function lineChart(options: { series: readonly LineSeries[]; xLabel: string; yLabel: string; title: string; width?: number; height?: number }): string {
  const width = options.width ?? 560;
  const height = options.height ?? 300;
  const finite = (p: readonly [number, number]): boolean => Number.isFinite(p[0]) && Number.isFinite(p[1]);
  const all = options.series.flatMap((s) => s.points.filter(finite));
  const xDomain = domain(all.map((p) => p[0]), 0.03);
  const yDomain = domain(all.map((p) => p[1]));
  const f = frame(width, height, xDomain, yDomain);
  const parts = [open(width, height, options.title), axes(f, xDomain, yDomain, options.xLabel, options.yLabel)];
  options.series.forEach((series, k) => {
    const color = series.color ?? colorFor(k);
    const pts = series.points.filter(finite);
    if (pts.length >= 2) parts.push(`<polyline class="line" fill="none" stroke="${color}" stroke-width="1.8"${series.dashed ? ' stroke-dasharray="5 3"' : ''} points="${pts.map((p) => `${f.x(p[0]).toFixed(1)},${f.y(p[1]).toFixed(1)}`).join(' ')}"><title>${escapeHtml(series.name)}</title></polyline>`);
    for (const p of pts) parts.push(`<circle class="point" fill="${color}" cx="${f.x(p[0]).toFixed(1)}" cy="${f.y(p[1]).toFixed(1)}" r="3"><title>${escapeHtml(`${series.name}: ${tickLabel(p[0])}, ${p[1].toFixed(3)}`)}</title></circle>`);
  });
  parts.push('</svg>');
  return parts.join('');
}
