// A score as a bar of fixed width, for the status board and the CI job summary.

/** `width` cells, filled in proportion to score/max (rounded down, so only full marks fill it). */
export function progressBar(score: number, max: number, width = 20): string {
  const filled = max > 0 ? Math.floor((Math.min(score, max) / max) * width) : 0;
  return "█".repeat(filled) + "░".repeat(width - filled);
}
