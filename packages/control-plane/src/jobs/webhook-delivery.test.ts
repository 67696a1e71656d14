import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { webhookJob } from '@tollgate/store';
import { deliverWebhook } from './webhook-delivery.js';

describe('deliverWebhook (real HTTP)', () => {
  let base = '';
  const seen: Array<{ method: string; headers: IncomingHttpHeaders; body: string }> = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => { body += c.toString(); });
    req.on('end', () => {
      seen.push({ method: req.method ?? '', headers: req.headers, body });
      res.writeHead(req.url === '/fail' ? 502 : 204).end();
    });
  });
  before(async () => {
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => server.close());

  const meta = { message: 'host h:1 is down', path: 'http://h:1/health', origin: '', key: '' };

  it('sends Tyk\'s default webhook document with the configured method and headers', async () => {
    const job = webhookJob({ url: `${base}/ok`, method: 'PUT', headers: { 'x-a': '1' }, dedupeSeconds: 10 }, 'HostDown', 'api1', meta, Date.UTC(2026, 0, 1));
    assert.equal(await deliverWebhook(job), 204);
    const last = seen.at(-1)!;
    assert.equal(last.method, 'PUT');
    assert.equal(last.headers['x-a'], '1');
    assert.equal(last.headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(last.body), {
      event: 'HostDown', message: 'host h:1 is down', path: 'http://h:1/health', origin: '', key: '', api_id: 'api1', timestamp: '2026-01-01T00:00:00.000Z',
    });
  });

  it('throws on a non-2xx answer or a refused connection (BullMQ then retries)', async () => {
    await assert.rejects(deliverWebhook(webhookJob({ url: `${base}/fail`, method: 'POST', headers: {}, dedupeSeconds: 10 }, 'HostUp', 'a', meta, 0)), /answered 502/);
    await assert.rejects(deliverWebhook(webhookJob({ url: 'http://127.0.0.1:1/', method: 'POST', headers: {}, dedupeSeconds: 10 }, 'HostUp', 'a', meta, 0)));
  });
});
