/**
 * Thrown by `MsgpackReader` when the bytes are not msgpack where it reads: they end inside a value (or a
 * value's declared size runs past them), or a byte starts no value.
 */
export class MsgpackError extends Error {
  override name = 'MsgpackError';
}

/** The error for bytes that end at `end` where a value needs them to go on to (at least) `at`. */
export const truncated = (at: number, end: number): MsgpackError => new MsgpackError(`the bytes end inside a value (at byte ${at} of ${end})`);

/**
 * Reads msgpack values one at a time from a buffer, in place: nothing is decoded that is not asked for, a
 * string is a byte range until `text` makes it one, and no value is built to be checked and thrown away.
 * Each typed read consumes the next value when it is of that type and leaves the position alone (returning
 * undefined, -1 or false) when it is not, so the caller decides what a wrong type means. Every read checks
 * the bounds: bytes that end early throw `MsgpackError`, never read past the end.
 *
 * Numbers are what msgpackr reads as numbers (every int and float form but the 64-bit ints, which it
 * reads as BigInt), so a batch reads the same through both.
 *
 * @example
 * const r = new MsgpackReader(bytes);
 * const n = r.arrayLength(); // -1: not an array
 * if (r.string()) console.log(r.text(r.start, r.pos));
 */
export class MsgpackReader {
  /** Position of the next value. */
  pos = 0;
  /** After `string()`: where the string's bytes start (they end at `pos`). */
  start = 0;
  readonly end: number;

  constructor(readonly bytes: Buffer) {
    this.end = bytes.length;
  }

  /** Whether every byte has been read. */
  get done(): boolean {
    return this.pos >= this.end;
  }

  /** Consumes a nil when one is next. */
  nil(): boolean {
    if (this.head() !== 0xc0) return false;
    this.pos++;
    return true;
  }

  /** Consumes a boolean when one is next; undefined (nothing consumed) otherwise. */
  boolean(): boolean | undefined {
    const h = this.head();
    if (h !== 0xc2 && h !== 0xc3) return undefined;
    this.pos++;
    return h === 0xc3;
  }

  /** Consumes a number when one is next; undefined (nothing consumed) otherwise. */
  number(): number | undefined {
    const h = this.head();
    const b = this.bytes;
    const p = this.pos + 1;
    if (h < 0x80) {
      this.pos = p;
      return h;
    }
    if (h >= 0xe0) {
      this.pos = p;
      return h - 0x100;
    }
    switch (h) {
      case 0xcc: this.need(p, 1); this.pos = p + 1; return b[p]!;
      case 0xcd: this.need(p, 2); this.pos = p + 2; return b.readUInt16BE(p);
      case 0xce: this.need(p, 4); this.pos = p + 4; return b.readUInt32BE(p);
      case 0xd0: this.need(p, 1); this.pos = p + 1; return b.readInt8(p);
      case 0xd1: this.need(p, 2); this.pos = p + 2; return b.readInt16BE(p);
      case 0xd2: this.need(p, 4); this.pos = p + 4; return b.readInt32BE(p);
      case 0xca: this.need(p, 4); this.pos = p + 4; return b.readFloatBE(p);
      case 0xcb: this.need(p, 8); this.pos = p + 8; return b.readDoubleBE(p);
      default: return undefined;
    }
  }

  /**
   * Consumes a string's header when a string is next: its bytes are then `start`..`pos` (see `text`), and
   * true is returned. False (nothing consumed) when the next value is not a string.
   */
  string(): boolean {
    const h = this.head();
    const b = this.bytes;
    let p = this.pos + 1;
    let n: number;
    if (h >= 0xa0 && h < 0xc0) {
      n = h & 0x1f;
    } else if (h === 0xd9) {
      this.need(p, 1);
      n = b[p]!;
      p += 1;
    } else if (h === 0xda) {
      this.need(p, 2);
      n = b.readUInt16BE(p);
      p += 2;
    } else if (h === 0xdb) {
      this.need(p, 4);
      n = b.readUInt32BE(p);
      p += 4;
    } else {
      return false;
    }
    this.need(p, n);
    this.start = p;
    this.pos = p + n;
    return true;
  }

  /** Consumes a string when one is next and returns it; undefined (nothing consumed) otherwise. */
  stringValue(): string | undefined {
    return this.string() ? this.text(this.start, this.pos) : undefined;
  }

  /** Consumes an array's header when an array is next and returns its length; -1 (nothing consumed) otherwise. */
  arrayLength(): number {
    const h = this.head();
    const p = this.pos + 1;
    if (h >= 0x90 && h < 0xa0) {
      this.pos = p;
      return h & 0x0f;
    }
    if (h === 0xdc) {
      this.need(p, 2);
      this.pos = p + 2;
      return this.bytes.readUInt16BE(p);
    }
    if (h === 0xdd) {
      this.need(p, 4);
      this.pos = p + 4;
      return this.bytes.readUInt32BE(p);
    }
    return -1;
  }

  /** The UTF-8 text of bytes `from`..`to` (a range `string()` gave). */
  text(from: number, to: number): string {
    return this.bytes.toString('utf8', from, to);
  }

  /**
   * Consumes the next value whatever it is (nested arrays and maps included, without recursion). Throws
   * `MsgpackError` when it does not fit in the bytes or starts with the one byte msgpack never uses.
   */
  skip(): void {
    const b = this.bytes;
    for (let left = 1; left > 0; left--) {
      const h = this.head();
      let p = this.pos + 1;
      let size = 0; // bytes of payload after the header
      if (h < 0x80 || h >= 0xe0 || h === 0xc0 || h === 0xc2 || h === 0xc3) {
        // fixint, nil, boolean: the header is the value
      } else if (h < 0x90) {
        left += 2 * (h & 0x0f);
      } else if (h < 0xa0) {
        left += h & 0x0f;
      } else if (h < 0xc0) {
        size = h & 0x1f;
      } else {
        switch (h) {
          case 0xcc: case 0xd0: size = 1; break;
          case 0xcd: case 0xd1: size = 2; break;
          case 0xce: case 0xd2: case 0xca: size = 4; break;
          case 0xcf: case 0xd3: case 0xcb: size = 8; break;
          case 0xd4: size = 2; break;
          case 0xd5: size = 3; break;
          case 0xd6: size = 5; break;
          case 0xd7: size = 9; break;
          case 0xd8: size = 17; break;
          case 0xc4: case 0xd9: this.need(p, 1); size = b[p]!; p += 1; break;
          case 0xc5: case 0xda: this.need(p, 2); size = b.readUInt16BE(p); p += 2; break;
          case 0xc6: case 0xdb: this.need(p, 4); size = b.readUInt32BE(p); p += 4; break;
          case 0xc7: this.need(p, 2); size = 1 + b[p]!; p += 1; break;
          case 0xc8: this.need(p, 3); size = 1 + b.readUInt16BE(p); p += 2; break;
          case 0xc9: this.need(p, 5); size = 1 + b.readUInt32BE(p); p += 4; break;
          case 0xdc: this.need(p, 2); left += b.readUInt16BE(p); p += 2; break;
          case 0xdd: this.need(p, 4); left += b.readUInt32BE(p); p += 4; break;
          case 0xde: this.need(p, 2); left += 2 * b.readUInt16BE(p); p += 2; break;
          case 0xdf: this.need(p, 4); left += 2 * b.readUInt32BE(p); p += 4; break;
          default: throw new MsgpackError(`byte ${this.pos} (0x${h.toString(16)}) starts no msgpack value`);
        }
      }
      this.need(p, size);
      this.pos = p + size;
    }
  }

  /** The header byte of the next value; throws when there is none. */
  private head(): number {
    const h = this.bytes[this.pos];
    if (h === undefined) throw truncated(this.pos, this.end);
    return h;
  }

  /** Throws unless `n` bytes from `p` are within the buffer. */
  private need(p: number, n: number): void {
    if (p + n > this.end) throw truncated(p, this.end);
  }
}
