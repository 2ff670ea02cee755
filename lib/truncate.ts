/**
 * The one rule for shortening text to fit a column. MariaDB measures VARCHAR in characters
 * (code points: an emoji is one, though JavaScript's `length` counts it as two UTF-16 units)
 * and TEXT in bytes (utf8mb4: one to four a character). Cutting by `length` or `slice` could
 * split an emoji into a lone surrogate, which MariaDB rejects or mangles; so both cuts here work
 * on whole code points.
 *
 * Contract of both: the value itself (the same string) when it fits; otherwise the longest
 * prefix of whole code points that fits. Callers that report truncation compare the result with
 * what they passed in.
 */

/**
 * Cuts `value` to at most `maxChars` code points (characters as a VARCHAR(n) column counts them).
 * Code points, not grapheme clusters: a flag or a family emoji may lose its tail, as in MariaDB.
 */
export function truncateChars(value: string, maxChars: number): string {
  // `length` counts UTF-16 units, never fewer than code points: within the limit it fits.
  if (value.length <= maxChars) return value;
  const chars = Array.from(value);
  return chars.length <= maxChars ? value : chars.slice(0, maxChars).join('');
}

/**
 * Cuts `value` to at most `maxBytes` bytes of UTF-8 (what a TEXT column holds), never splitting
 * a character's byte sequence. When it cuts, `marker` (e.g. "…[truncated]") is appended, within
 * the same budget, so that a person reading the row sees that something is missing.
 */
export function truncateBytes(value: string, maxBytes: number, marker = ''): string {
  if (Buffer.byteLength(value, 'utf8') <= maxBytes) return value;
  const budget = maxBytes - Buffer.byteLength(marker, 'utf8');
  let out = '';
  let used = 0;
  for (const char of value) {
    const size = Buffer.byteLength(char, 'utf8');
    if (used + size > budget) break;
    out += char;
    used += size;
  }
  return out + marker;
}
