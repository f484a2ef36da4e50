// Number formatting shared by the HTML and Markdown reports: NaN prints as an em dash, never as "NaN".

export function fmt(value: number | undefined, digits = 1): string {
  return value === undefined || !Number.isFinite(value) ? '—' : value.toFixed(digits);
}

export function fmtCI(ci: readonly [number, number] | undefined, digits = 1): string {
  return !ci || !Number.isFinite(ci[0]) || !Number.isFinite(ci[1]) ? '—' : `[${ci[0].toFixed(digits)}, ${ci[1].toFixed(digits)}]`;
}

export function fmtPct(value: number | undefined, digits = 0): string {
  return value === undefined || !Number.isFinite(value) ? '—' : `${(value * 100).toFixed(digits)}%`;
}

export function fmtSigned(value: number | undefined, digits = 1): string {
  return value === undefined || !Number.isFinite(value) ? '—' : `${value > 0 ? '+' : ''}${value.toFixed(digits)}`;
}

export function fmtInt(value: number | undefined): string {
  return value === undefined || !Number.isFinite(value) ? '—' : Math.round(value).toLocaleString('en-US');
}
