/** Parsing and signing-string rules of HMAC request signing (auth.md §7). */

export interface SignatureParams {
  readonly keyId: string;
  readonly algorithm: string;
  /** Lower-cased header names; default `['date']`. */
  readonly headers: readonly string[];
  readonly signature: string;
}

const NAMES: Record<string, keyof SignatureParams> = { keyid: 'keyId', algorithm: 'algorithm', headers: 'headers', signature: 'signature' };

/**
 * Parses `Signature keyId="...",algorithm="...",headers="...",signature="..."`; null when malformed or
 * when any other parameter name appears. Quoted values use JSON string escaping.
 *
 * @example
 * parseSignatureHeader('Signature keyId="k",algorithm="hmac-sha256",signature="abc"')!.keyId // "k"
 */
export function parseSignatureHeader(value: string): SignatureParams | null {
  let s = value.trim();
  if (s.startsWith('Signature') || s.startsWith('signature')) s = s.slice(9).trim();
  const out: Record<string, string> = {};
  let i = 0;
  while (i < s.length) {
    const eq = s.indexOf('=', i);
    if (eq === -1) return null;
    const name = NAMES[s.slice(i, eq).trim().toLowerCase()];
    if (name === undefined || s.charCodeAt(eq + 1) !== 0x22 /* " */) return null;
    let end = eq + 2;
    while (end < s.length && s.charCodeAt(end) !== 0x22) end += s.charCodeAt(end) === 0x5c /* \ */ ? 2 : 1;
    if (end >= s.length) return null;
    let text: string;
    try {
      text = JSON.parse(s.slice(eq + 1, end + 1)) as string;
    } catch {
      return null;
    }
    out[name] = text;
    i = end + 1;
    while (i < s.length && s.charCodeAt(i) === 0x20) i++;
    if (i < s.length) {
      if (s.charCodeAt(i) !== 0x2c /* , */) return null;
      i++;
    }
  }
  if (!out.keyId || !out.signature) return null;
  const headers = out.headers ? out.headers.toLowerCase().split(' ').filter((h) => h !== '') : ['date'];
  return { keyId: out.keyId, algorithm: out.algorithm ?? '', headers, signature: out.signature };
}

/** Reads the first value of a lower-case header name ('' when absent). */
export type HeaderReader = (name: string) => string;

/** One line per listed header, joined by `\n`: `(request-target)`, `date`/`x-aux-date`, or `h: value`. */
export function signingString(params: SignatureParams, method: string, decodedPath: string, header: HeaderReader): string {
  const lines: string[] = [];
  for (const name of params.headers) {
    if (name === '(request-target)') {
      lines.push(`(request-target): ${method.toLowerCase()} ${decodedPath}`);
    } else if (name === 'date') {
      const aux = header('x-aux-date');
      lines.push(aux !== '' ? `x-aux-date: ${aux}` : `date: ${header('date')}`);
    } else {
      lines.push(`${name}: ${header(name).trim()}`);
    }
  }
  return lines.join('\n');
}

/** Base64 then URL query escaping of `+`, `/`, `=` (what Tyk compares against). */
export function escapeSignature(base64: string): string {
  return base64.replace(/\+/g, '%2B').replace(/\//g, '%2F').replace(/=/g, '%3D');
}

/** Lower-case `%xx` escapes upper-cased, so `%2f` compares equal to `%2F`. */
export function upperEscapes(value: string): string {
  return value.indexOf('%') === -1 ? value : value.replace(/%[0-9a-fA-F]{2}/g, (m) => m.toUpperCase());
}

const MONTHS: Record<string, number> = { Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11 };
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;
// Go's layout: `02` day, `04` minute and `05` second take exactly two digits, `15` hour one or two.
const DATE = /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d{2}) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{4}) (\d{1,2}):(\d{2}):(\d{2}) (?:([A-Za-z]+)|([+-])(\d{2}))$/;

/**
 * Unix ms of a `Mon, 02 Jan 2006 15:04:05 MST` date (any alphabetic zone read as UTC) or of the same with
 * a numeric hour offset (`... -07`); NaN when it does not parse. As Go's time.Parse: a one-digit hour is
 * accepted, and out-of-range fields (31 Feb, hour 24, minute or second 60) are refused, not rolled over.
 */
export function parseSignatureDate(value: string): number {
  const m = DATE.exec(value);
  if (m === null) return NaN;
  const [, day, monthName, year, hh, mm, ss, , sign, offset] = m;
  const y = Number(year);
  const month = MONTHS[monthName!]!;
  const d = Number(day);
  const h = Number(hh);
  const min = Number(mm);
  const sec = Number(ss);
  if (h > 23 || min > 59 || sec > 59 || d < 1 || d > daysInMonth(y, month)) return NaN;
  const utc = Date.UTC(y, month, d, h, min, sec);
  if (sign === undefined) return utc;
  const shift = Number(offset) * 3_600_000;
  return sign === '+' ? utc - shift : utc + shift;
}

function daysInMonth(year: number, month: number): number {
  if (month !== 1) return DAYS_IN_MONTH[month]!;
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
}
