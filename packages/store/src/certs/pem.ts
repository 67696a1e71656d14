/**
 * PEM blocks as Go's encoding/pem reads and writes them: `-----BEGIN TYPE-----`, optional `Name: value`
 * headers, a blank line, base64 in 64-character lines, `-----END TYPE-----`, LF line ends. Go's format is
 * kept because stored certificates (`cert-raw-<id>`) must stay byte-compatible with Tyk's.
 */

export interface PemBlock {
  readonly type: string;
  readonly headers: ReadonlyMap<string, string>;
  readonly der: Buffer;
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/g;

/** Every well-formed block in `text`, in order; text around and between blocks is ignored (as Go does). */
export function decodePem(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  for (const m of text.matchAll(BLOCK)) {
    const type = m[1]!;
    let body = m[2]!;
    const headers = new Map<string, string>();
    const split = /\r?\n\r?\n/.exec(body);
    if (split !== null && /^[A-Za-z-]+:/.test(body)) {
      for (const line of body.slice(0, split.index).split(/\r?\n/)) {
        const colon = line.indexOf(':');
        if (colon > 0) headers.set(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
      }
      body = body.slice(split.index + split[0].length);
    }
    const b64 = body.replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 !== 0) continue;
    const der = Buffer.from(b64, 'base64');
    if (der.length === 0) continue;
    blocks.push({ type, headers, der });
  }
  return blocks;
}

/**
 * Encodes one block in Go's layout (headers sorted with Proc-Type first, as Go writes them).
 *
 * @example
 * encodePem('CERTIFICATE', der) // "-----BEGIN CERTIFICATE-----\nMIIB...\n-----END CERTIFICATE-----\n"
 */
export function encodePem(type: string, der: Buffer, headers: ReadonlyArray<readonly [string, string]> = []): string {
  let out = `-----BEGIN ${type}-----\n`;
  for (const [name, value] of headers) out += `${name}: ${value}\n`;
  if (headers.length > 0) out += '\n';
  const b64 = der.toString('base64');
  for (let i = 0; i < b64.length; i += 64) out += `${b64.slice(i, i + 64)}\n`;
  return `${out}-----END ${type}-----\n`;
}
