/**
 * Whether the bytes of `buf` at `pos` spell `name`, ignoring ASCII case on both sides (header names and
 * tokens compared where they lie in a raw buffer, without making a string). The caller checks lengths.
 */
export function isNameAt(buf: Buffer, pos: number, name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    let c = buf[pos + i]!;
    if (c >= 65 && c <= 90) c += 32;
    let d = name.charCodeAt(i);
    if (d >= 65 && d <= 90) d += 32;
    if (c !== d) return false;
  }
  return true;
}
