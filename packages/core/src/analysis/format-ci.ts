// How a model's 95% CI is printed. One function for results.md (study and judge tables) and the report, so the
// same stored interval reads the same everywhere.

/** "[12.34, 15.67]"; `missing` when either end is not a finite number. */
export function formatCi95(ci: readonly [number, number] | undefined, missing = 'n/a'): string {
  return ci && Number.isFinite(ci[0]) && Number.isFinite(ci[1]) ? `[${ci[0].toFixed(2)}, ${ci[1].toFixed(2)}]` : missing;
}
