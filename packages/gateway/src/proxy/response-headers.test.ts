import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifyHeader, HeaderKind, isSetByGateway, REQUEST_HOP_BY_HOP } from './response-headers.js';

const kind = (name: string): HeaderKind => classifyHeader(Buffer.from(name));

describe('classifyHeader', () => {
  const hopByHop = [
    'connection', 'Connection', 'CONNECTION', 'keep-alive', 'Keep-Alive', 'proxy-authenticate', 'Proxy-Authenticate',
    'proxy-authorization', 'PROXY-AUTHORIZATION', 'te', 'TE', 'Te', 'trailer', 'Trailer', 'transfer-encoding',
    'Transfer-Encoding', 'TRANSFER-ENCODING', 'upgrade', 'Upgrade',
  ];
  for (const name of hopByHop) it(`${name} is hop-by-hop`, () => assert.equal(kind(name), HeaderKind.HopByHop));

  for (const name of ['date', 'Date', 'DATE']) {
    it(`${name} is not copied (uWS writes its own)`, () => assert.equal(kind(name), HeaderKind.HopByHop));
  }

  for (const name of ['content-length', 'Content-Length', 'CONTENT-LENGTH']) {
    it(`${name} is content-length`, () => assert.equal(kind(name), HeaderKind.ContentLength));
  }

  const ordinary = [
    'content-type', 'Content-Type', 'x-request-id', 'set-cookie', 'etag', 'server', 'cache-control', 'vary',
    // Same length as a hop-by-hop name but different letters.
    'tf', 'dote', 'upgrades', 'connectio', 'content-lengtx', 'keep_alive', 'x-connection',
    // A byte above 'Z' that only folds wrong if the case mapping is sloppy.
    'TE\u0000', '',
  ];
  for (const name of ordinary) {
    it(`${JSON.stringify(name)} is forwarded`, () => assert.equal(kind(name), HeaderKind.Forward));
  }
});

describe('REQUEST_HOP_BY_HOP', () => {
  it('holds the hop-by-hop names plus host and the X-Forwarded-* headers the gateway rewrites', () => {
    for (const name of ['connection', 'keep-alive', 'te', 'transfer-encoding', 'upgrade', 'host', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host']) {
      assert.ok(REQUEST_HOP_BY_HOP.has(name), name);
    }
    for (const name of ['content-length', 'content-type', 'authorization', 'user-agent']) {
      assert.equal(REQUEST_HOP_BY_HOP.has(name), false, name);
    }
  });
});

describe('isSetByGateway', () => {
  const extra = ['X-RateLimit-Limit', '10', 'access-control-allow-origin', '*', 'Vary', 'Origin'];
  it('matches the gateway’s own names whatever the case on either side', () => {
    assert.equal(isSetByGateway(Buffer.from('x-ratelimit-limit'), extra), true);
    assert.equal(isSetByGateway(Buffer.from('X-RATELIMIT-LIMIT'), extra), true);
    assert.equal(isSetByGateway(Buffer.from('Access-Control-Allow-Origin'), extra), true);
  });
  it('never replaces Vary, and leaves other names alone', () => {
    assert.equal(isSetByGateway(Buffer.from('vary'), extra), false);
    assert.equal(isSetByGateway(Buffer.from('x-ratelimit-reset'), extra), false);
  });
});
