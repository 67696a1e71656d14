import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { errors } from '../errors.js';
import { writeReply } from '../proxy/write-reply.js';
import { RawSocketWriter } from './raw-socket-writer.js';

async function written(write: (w: RawSocketWriter) => void): Promise<string> {
  const socket = new PassThrough();
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  const ended = new Promise((resolve) => socket.on('end', resolve));
  write(new RawSocketWriter(socket));
  await ended;
  return Buffer.concat(chunks).toString('latin1');
}

describe('RawSocketWriter', () => {
  it('writes a whole HTTP/1.1 response (status, headers, length, connection: close) and ends the socket', async () => {
    const text = await written((w) => writeReply(w, errors.upstreamTimeout, true, ['x-extra', 'yes']));
    const [head, body] = text.split('\r\n\r\n');
    const lines = head!.split('\r\n');
    assert.equal(lines[0], `HTTP/1.1 ${errors.upstreamTimeout.statusLine}`);
    assert.ok(lines.includes('Content-Type: application/json'));
    assert.ok(lines.includes('x-extra: yes'));
    assert.ok(lines.includes(`content-length: ${errors.upstreamTimeout.body.length}`));
    assert.ok(lines.includes('connection: close'));
    assert.equal(body, errors.upstreamTimeout.body.toString());
  });

  it('a response without a body reports the given length; a second end writes nothing', async () => {
    const text = await written((w) => {
      w.writeStatus('204 No Content').endWithoutBody(0);
      w.end('ignored');
    });
    assert.equal(text, 'HTTP/1.1 204 No Content\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
  });

  it('refuses to stream', () => {
    const w = new RawSocketWriter(new PassThrough());
    assert.throws(() => w.write(), /does not stream/);
    assert.throws(() => w.tryEnd(), /does not stream/);
  });
});
