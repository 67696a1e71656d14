/**
 * Expiry strings of API definitions: layout `YYYY-MM-DD HH:MM` (Go `2006-01-02 15:04`), UTC
 * (spec/README.md "Baseline facts"). `""` and `"-1"` mean never.
 */

const LAYOUT = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2})$/;

/** Whether an expiry string means "never expires". */
export function isNeverExpiry(value: string | undefined): boolean {
  return value === undefined || value === "" || value === "-1";
}

/**
 * Unix ms of an expiry string; NaN when it does not follow the layout (Tyk then treats the API or
 * version as already expired). Never-expiring values give +Infinity.
 *
 * @example
 * parseTykExpiry('2030-01-02 15:04') // 1893596640000
 */
export function parseTykExpiry(value: string | undefined): number {
  if (isNeverExpiry(value)) return Number.POSITIVE_INFINITY;
  const m = LAYOUT.exec(value!);
  if (m === null) return Number.NaN;
  const [, y, mo, d, h, mi] = m.map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi);
  const back = new Date(ms);
  // Reject 2026-02-31 and the like, which Date.UTC would roll over.
  if (back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || h > 23 || mi > 59) return Number.NaN;
  return ms;
}

/** `Mon, 02 Jan 2026 15:04:05 UTC`: the RFC 1123 form Tyk writes in `X-Tyk-Api-Expires`. */
export function formatRfc1123Utc(ms: number): string {
  return new Date(ms).toUTCString().replace(/GMT$/, "UTC");
}
