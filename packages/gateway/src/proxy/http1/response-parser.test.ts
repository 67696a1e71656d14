import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ResponseParser, UpstreamProtocolError, type ResponseHandler } from './response-parser.js';

interface Parsed {
  status: number;
  headers: string[];
  contentLength: number;
  body: string;
  ended: boolean;
  keepAlive: boolean;
  /** Offset where parsing stopped in the last buffer. */
  stoppedAt: number;
}

/**
 * Parses `input` fed in pieces (split at `splits`), collecting what the handler saw. With `reuse`, every
 * piece is copied into one buffer that is scribbled over after each read (blank lines and chunk sizes
 * included, before and past the piece's end), as a socket reading into a shared buffer would; header
 * views are then read only at the end, so a view of the reused buffer would show the scribble.
 */
function parse(input: string, options: { splits?: number[]; isHead?: boolean; reuse?: boolean } = {}): Parsed {
  const parser = new ResponseParser(options.reuse ?? false);
  const seen: Parsed = { status: 0, headers: [], contentLength: -2, body: '', ended: false, keepAlive: false, stoppedAt: 0 };
  let rawHeaders: Buffer[] = [];
  const handler: ResponseHandler = {
    onHead(status, raw, contentLength) {
      seen.status = status;
      seen.contentLength = contentLength;
      rawHeaders = raw;
    },
    onBody(chunk) {
      seen.body += chunk.toString('latin1');
      return true;
    },
    onEnd() {
      seen.ended = true;
    },
  };
  parser.reset(handler, options.isHead ?? false);
  const bytes = Buffer.from(input, 'latin1');
  const cuts = [0, ...(options.splits ?? []), bytes.length];
  const shared = Buffer.alloc(bytes.length + 64);
  const scribble = (): void => { for (let i = 0; i < shared.length; i++) shared[i] = SCRIBBLE[i % SCRIBBLE.length]!; };
  scribble();
  for (let i = 0; i + 1 < cuts.length; i++) {
    const piece = bytes.subarray(cuts[i], cuts[i + 1]);
    if (options.reuse) {
      piece.copy(shared, 0);
      seen.stoppedAt = parser.execute(shared, 0, piece.length);
      scribble();
    } else {
      seen.stoppedAt = parser.execute(piece, 0);
    }
  }
  seen.headers = rawHeaders.map((b) => b.toString('latin1'));
  seen.keepAlive = parser.keepAlive;
  return seen;
}

const SCRIBBLE = Buffer.from('\r\n\r\n0\r\nZz: zz\r\n', 'latin1');

const SIMPLE = 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello';
const CHUNKED = 'HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\nX-A:  spaced value \t\r\n\r\n5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nX-Trailer: t\r\n\r\n';

describe('ResponseParser', () => {
  it('parses a sized response into raw headers and body', () => {
    const r = parse(SIMPLE);
    assert.equal(r.status, 200);
    assert.deepEqual(r.headers, ['Content-Type', 'text/plain']);
    assert.equal(r.contentLength, 5);
    assert.equal(r.body, 'hello');
    assert.equal(r.ended, true);
    assert.equal(r.keepAlive, true);
  });

  it('gives the same result however the bytes are split across reads', () => {
    for (const input of [SIMPLE, CHUNKED]) {
      const whole = parse(input);
      for (let cut = 1; cut < input.length; cut++) {
        const { stoppedAt: _, ...split } = parse(input, { splits: [cut] });
        const { stoppedAt: __, ...expected } = whole;
        assert.deepEqual(split, expected, `split at ${cut}`);
      }
      const everyByte = Array.from({ length: input.length - 1 }, (_, i) => i + 1);
      const bytewise = parse(input, { splits: everyByte });
      assert.equal(bytewise.body, whole.body);
      assert.equal(bytewise.ended, true);
    }
  });

  it('reading into one reused buffer: headers outlive the read, and bytes past the read’s end are never parsed', () => {
    for (const input of [SIMPLE, CHUNKED]) {
      const { stoppedAt: _, ...expected } = parse(input);
      for (let cut = 0; cut < input.length; cut++) {
        const { stoppedAt: __, ...reused } = parse(input, { splits: cut === 0 ? [] : [cut], reuse: true });
        assert.deepEqual(reused, expected, `split at ${cut}`);
      }
      const everyByte = Array.from({ length: input.length - 1 }, (_, i) => i + 1);
      const { stoppedAt: ___, ...bytewise } = parse(input, { splits: everyByte, reuse: true });
      assert.deepEqual(bytewise, expected);
    }
  });

  it('hands over only the headers a proxy passes on: hop-by-hop, framing and Date are left out', () => {
    const r = parse('HTTP/1.1 200 OK\r\nDate: Mon, 23 Nov 2026 10:00:00 GMT\r\nconnection: keep-alive\r\nKeep-Alive: timeout=5\r\n'
      + 'X-One: 1\r\nTE: trailers\r\nTrailer: X-T\r\nUpgrade: h2c\r\nProxy-Authenticate: Basic\r\nContent-Length: 2\r\nSet-Cookie: a=b\r\n\r\nok');
    assert.deepEqual(r.headers, ['X-One', '1', 'Set-Cookie', 'a=b']);
    assert.equal(r.contentLength, 2);
    assert.equal(r.body, 'ok');
    // With both, Transfer-Encoding frames the body: no Content-Length is reported.
    const both = parse('HTTP/1.1 200 OK\r\nContent-Length: 99\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n');
    assert.equal(both.contentLength, -1);
    assert.equal(both.body, 'ok');
  });

  it('de-chunks a chunked body, skipping extensions and trailers, and trims header values', () => {
    const r = parse(CHUNKED);
    assert.equal(r.status, 201);
    assert.deepEqual(r.headers, ['X-A', 'spaced value']);
    assert.equal(r.contentLength, -1);
    assert.equal(r.body, 'hello, world');
    assert.equal(r.ended, true);
    assert.equal(r.keepAlive, true);
  });

  it('skips interim 1xx responses and reports the final one', () => {
    const r = parse('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n' + SIMPLE);
    assert.equal(r.status, 200);
    assert.equal(r.body, 'hello');
  });

  it('ends without a body for HEAD, 204 and 304, whatever Content-Length says', () => {
    assert.deepEqual([parse(SIMPLE, { isHead: true }).body, parse(SIMPLE, { isHead: true }).ended], ['', true]);
    for (const status of ['204 No Content', '304 Not Modified']) {
      const r = parse(`HTTP/1.1 ${status}\r\nContent-Length: 5\r\n\r\n`);
      assert.equal(r.ended, true);
      assert.equal(r.body, '');
    }
  });

  it('reads a body without framing until the connection closes, and never reuses that connection', () => {
    const parser = new ResponseParser();
    let body = '';
    let ended = false;
    parser.reset({ onHead() {}, onBody(c) { body += c.toString(); return true; }, onEnd() { ended = true; } }, false);
    parser.execute(Buffer.from('HTTP/1.1 200 OK\r\n\r\npart one, '), 0);
    parser.execute(Buffer.from('part two'), 0);
    assert.equal(ended, false);
    assert.equal(parser.closed(), true);
    assert.equal(ended, true);
    assert.equal(body, 'part one, part two');
    assert.equal(parser.keepAlive, false);
  });

  it('leaves out the headers the upstream\'s Connection header names, wherever it stands (RFC 9110 §7.6.1)', () => {
    const r = parse('HTTP/1.1 200 OK\r\nX-Before: 1\r\nConnection: X-Before, keep-alive\r\nconnection: x-AFTER\r\nX-After: 2\r\n'
      + 'X-Kept: 3\r\nContent-Length: 0\r\n\r\n', { reuse: true });
    assert.deepEqual(r.headers, ['X-Kept', '3']);
    assert.equal(r.keepAlive, true);
    // close / keep-alive alone name no header.
    assert.deepEqual(parse('HTTP/1.1 200 OK\r\nConnection: close\r\nX-Kept: 1\r\nContent-Length: 0\r\n\r\n').headers, ['X-Kept', '1']);
  });

  it('knows when a connection may be reused', () => {
    assert.equal(parse('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n').keepAlive, false);
    assert.equal(parse('HTTP/1.1 200 OK\r\nConnection: Keep-Alive, Close\r\nContent-Length: 0\r\n\r\n').keepAlive, false);
    assert.equal(parse('HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n').keepAlive, false);
    assert.equal(parse('HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n').keepAlive, true);
    // Both framings: Transfer-Encoding wins, the connection is not reused (RFC 9112 §6.3).
    const both = parse('HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n');
    assert.equal(both.body, 'ok');
    assert.equal(both.keepAlive, false);
  });

  it('stops at the end of the response and reports where, leaving later bytes alone', () => {
    const r = parse(`${SIMPLE}HTTP/1.1 200 OK\r\n`);
    assert.equal(r.ended, true);
    assert.equal(r.stoppedAt, SIMPLE.length);
  });

  it('pauses the body when the handler asks, and ends only after it resumes', () => {
    const parser = new ResponseParser();
    const chunks: string[] = [];
    let ended = false;
    let accept = false;
    parser.reset({ onHead() {}, onBody(c) { chunks.push(c.toString()); return accept; }, onEnd() { ended = true; } }, false);
    const data = Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nabcd');
    const stopped = parser.execute(data, 0);
    assert.equal(stopped, data.length);
    assert.deepEqual(chunks, ['abcd']);
    assert.equal(ended, false, 'the end waits for the paused body');
    accept = true;
    parser.execute(Buffer.alloc(0), 0);
    assert.equal(ended, true);

    const chunked = new ResponseParser();
    const seen: string[] = [];
    chunked.reset({ onHead() {}, onBody(c) { seen.push(c.toString()); return false; }, onEnd() {} }, false);
    const input = Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n1\r\nb\r\n0\r\n\r\n');
    let at = chunked.execute(input, 0);
    assert.deepEqual(seen, ['a']);
    at = chunked.execute(input, at);
    assert.deepEqual(seen, ['a', 'b']);
    chunked.execute(input, at);
    assert.equal(chunked.isComplete, true);
  });

  it('refuses malformed responses with a protocol error', () => {
    const bad = [
      'HTTP/2.0 200 OK\r\n\r\n',
      'HTTP/1.1 2x0 OK\r\n\r\n',
      'ICY 200 OK\r\n\r\n',
      'HTTP/1.1 200 OK\r\nNoColon\r\n\r\n',
      'HTTP/1.1 200 OK\r\nName : value\r\n\r\n',
      'HTTP/1.1 200 OK\r\nA: b\r\n folded\r\n\r\n',
      'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n',
      'HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n',
      'HTTP/1.1 200 OK\r\nContent-Length: 12a\r\n\r\n',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffff\r\n',
      'HTTP/1.1 101 Switching Protocols\r\n\r\n',
    ];
    for (const input of bad) assert.throws(() => parse(input), UpstreamProtocolError, JSON.stringify(input));
  });

  it('refuses a head larger than 64 KiB, even when it arrives in pieces', () => {
    const big = `HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(70_000)}\r\n\r\n`;
    assert.throws(() => parse(big), UpstreamProtocolError);
    assert.throws(() => parse(big, { splits: [1000, 40_000] }), UpstreamProtocolError);
  });

  it('reads the upstream’s Keep-Alive timeout hint in ms, 0 without one', () => {
    const withHint = new ResponseParser();
    withHint.reset({ onHead() {}, onBody() { return true; }, onEnd() {} }, false);
    withHint.execute(Buffer.from('HTTP/1.1 200 OK\r\nKeep-Alive: timeout=5, max=100\r\nContent-Length: 0\r\n\r\n'), 0);
    assert.equal(withHint.keepAliveHintMs, 5000);
    withHint.reset({ onHead() {}, onBody() { return true; }, onEnd() {} }, false);
    withHint.execute(Buffer.from(SIMPLE), 0);
    assert.equal(withHint.keepAliveHintMs, 0);
  });

  it('keeps a repeated Content-Length with the same value', () => {
    const r = parse('HTTP/1.1 200 OK\r\nContent-Length: 2\r\ncontent-length: 2\r\n\r\nok');
    assert.equal(r.body, 'ok');
  });
});
