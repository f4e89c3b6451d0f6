/** Trimmed text, or null when nothing is left (a blank optional field: left out, or cleared with null). */
export function textOrNull(value: string | null | undefined): string | null {
  const trimmed = (value ?? '').trim();
  return trimmed ? trimmed : null;
}
