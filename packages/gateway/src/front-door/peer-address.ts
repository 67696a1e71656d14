import type { HttpResponse } from 'uWebSockets.js';

/** Formatted IPv4 peers by their 32-bit value; bounded so a scan of many sources cannot grow it. */
const v4Cache = new Map<number, string>();
const V4_CACHE_MAX = 4096;

/**
 * The client's address as text. uWS listens dual-stack and reports IPv4 peers as IPv4-mapped IPv6;
 * those become dotted quads. The binary form is read (cheaper than uWS's text form, which showed up in
 * profiles) and IPv4 strings are cached, so a keep-alive client costs no string building per request.
 */
export function peerAddress(res: HttpResponse): string {
  const bytes = new Uint8Array(res.getRemoteAddress());
  if (bytes.length === 4) return formatV4(bytes, 0);
  if (bytes.length === 16 && isV4Mapped(bytes)) return formatV4(bytes, 12);
  return formatV6(bytes);
}

function isV4Mapped(b: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  return b[10] === 0xff && b[11] === 0xff;
}

function formatV4(b: Uint8Array, at: number): string {
  const key = ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
  let text = v4Cache.get(key);
  if (text === undefined) {
    text = `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
    if (v4Cache.size >= V4_CACHE_MAX) v4Cache.clear();
    v4Cache.set(key, text);
  }
  return text;
}

/** RFC 5952 text form (lower-case hex, longest run of zero groups compressed). */
function formatV6(b: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i + 1 < b.length; i += 2) groups.push((b[i]! << 8) | b[i + 1]!);
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < groups.length;) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < groups.length && groups[j] === 0) j++;
    if (j - i > bestLen) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}
