import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { apiDef, authTestDeps, decide, testRequest } from '../auth/testing.js';
import { parseSignatureDate, parseSignatureHeader } from '../auth/http-signature.js';
import { errors } from '../errors.js';
import { createHmacSignature } from './hmac-signature.js';

const SECRET = 'hmac-secret';
const DATE = 'Tue, 14 Nov 2023 22:13:20 GMT'; // 1_700_000_000 s, the test clock

function sign(text: string, hash = 'sha256', secret = SECRET): string {
  return encodeURIComponent(createHmac(hash, secret).update(text).digest('base64'));
}

function header(signature: string, algorithm = 'hmac-sha256', headers = '', keyId = 'alice'): string {
  return `Signature keyId="${keyId}",algorithm="${algorithm}",${headers ? `headers="${headers}",` : ''}signature="${signature}"`;
}

function setup(fields = {}) {
  const t = authTestDeps();
  t.sessions.stored.set('org1alice', { hmac_enabled: true, hmac_string: SECRET, alias: 'alice' });
  t.sessions.stored.set('org1nosecret', { hmac_enabled: true, hmac_string: '' });
  t.sessions.stored.set('org1disabled', { hmac_enabled: false, hmac_string: SECRET });
  return { t, check: createHmacSignature(apiDef({ enable_signature_checking: true, ...fields }), t.deps)! };
}

describe('createHmacSignature (auth.md §7)', () => {
  it('accepts a date-only signature (the default headers) and sets the session of keyId', async () => {
    const { check } = setup();
    const ctx = testRequest({ headers: { date: DATE, authorization: header(sign(`date: ${DATE}`)) } });
    assert.equal(await decide(check(ctx)), undefined);
    assert.equal(ctx.sessionKey, 'org1alice');
  });

  it('signs (request-target), X-Aux-Date over Date, and other headers trimmed; every algorithm of the four', async () => {
    const { check } = setup();
    const text = `(request-target): post /api/orders/1\nx-aux-date: ${DATE}\nx-custom: v`;
    for (const [algorithm, hash] of [['hmac-sha1', 'sha1'], ['hmac-sha256', 'sha256'], ['hmac-sha384', 'sha384'], ['hmac-sha512', 'sha512']] as const) {
      const ctx = testRequest({
        method: 'POST', path: '/api/orders/%31', query: 'ignored=1',
        headers: { date: 'garbage', 'x-aux-date': DATE, 'x-custom': '  v ', authorization: header(sign(text, hash), algorithm, '(request-target) date x-custom') },
      });
      assert.equal(await decide(check(ctx)), undefined, algorithm);
    }
  });

  it('lower-case %xx escapes in the received signature are accepted', async () => {
    const { check } = setup();
    const signature = sign(`date: ${DATE}`).replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase());
    assert.equal(await decide(check(testRequest({ headers: { date: DATE, authorization: header(signature) } }))), undefined);
  });

  it('every failure is 400 Authorization field missing, malformed or invalid', async () => {
    const { check } = setup();
    const good = sign(`date: ${DATE}`);
    const cases: Record<string, string>[] = [
      {},
      { authorization: 'Signature nonsense', date: DATE },
      { authorization: `${header(good)},extra="1"`, date: DATE },
      { authorization: header(good, 'hmac-md5'), date: DATE },
      { authorization: header(good, 'rsa-sha256'), date: DATE },
      { authorization: header(good, 'hmac-sha256', '', 'unknown'), date: DATE },
      { authorization: header(good, 'hmac-sha256', '', 'nosecret'), date: DATE },
      { authorization: header(good, 'hmac-sha256', '', 'disabled'), date: DATE },
      { authorization: header(sign(`date: ${DATE}`, 'sha256', 'wrong')), date: DATE },
      { authorization: header(sign('date: not a date')), date: 'not a date' },
      { authorization: header(sign('date: ')) },
    ];
    for (const headers of cases) {
      assert.equal(await decide(check(testRequest({ headers }))), errors.hmacInvalid, JSON.stringify(headers));
    }
    assert.equal(errors.hmacInvalid.status, 400);
  });

  it('hmac_allowed_algorithms restricts; the clock skew applies only when > 0', async () => {
    const only512 = setup({ hmac_allowed_algorithms: ['hmac-sha512'] }).check;
    assert.equal(await decide(only512(testRequest({ headers: { date: DATE, authorization: header(sign(`date: ${DATE}`)) } }))), errors.hmacInvalid);
    const old = 'Tue, 14 Nov 2023 22:00:00 GMT';
    const noSkew = setup().check;
    assert.equal(await decide(noSkew(testRequest({ headers: { date: old, authorization: header(sign(`date: ${old}`)) } }))), undefined);
    const skewed = setup({ hmac_allowed_clock_skew: 1000 }).check;
    assert.equal(await decide(skewed(testRequest({ headers: { date: old, authorization: header(sign(`date: ${old}`)) } }))), errors.hmacInvalid);
    assert.equal(await decide(skewed(testRequest({ headers: { date: DATE, authorization: header(sign(`date: ${DATE}`)) } }))), undefined);
  });

  it('parses the header and dates as Tyk does', () => {
    assert.deepEqual(parseSignatureHeader(' signature KEYID="k",Algorithm="hmac-sha1", headers="(request-target) Date",signature="s\\"x"'), {
      keyId: 'k', algorithm: 'hmac-sha1', headers: ['(request-target)', 'date'], signature: 's"x',
    });
    assert.equal(parseSignatureHeader('Signature keyId="k"'), null);
    assert.equal(parseSignatureHeader('Signature keyId="k",signature="unterminated'), null);
    assert.equal(parseSignatureDate(DATE), 1_700_000_000_000);
    assert.equal(parseSignatureDate('Tue, 14 Nov 2023 22:13:20 PST'), 1_700_000_000_000);
    assert.equal(parseSignatureDate('Tue, 14 Nov 2023 15:13:20 -07'), 1_700_000_000_000);
    assert.ok(Number.isNaN(parseSignatureDate('2023-11-14T22:13:20Z')));
  });

  it('refuses out-of-range fields instead of rolling them over, and accepts a one-digit hour (Go time.Parse)', () => {
    for (const bad of [
      'Fri, 31 Feb 2023 10:00:00 GMT', 'Wed, 29 Feb 2023 10:00:00 GMT', 'Thu, 31 Apr 2023 10:00:00 GMT', 'Sun, 00 Jan 2023 10:00:00 GMT',
      'Tue, 14 Nov 2023 99:13:20 GMT', 'Tue, 14 Nov 2023 24:00:00 GMT', 'Tue, 14 Nov 2023 22:75:20 GMT', 'Tue, 14 Nov 2023 22:13:60 GMT',
      'Tue, 14 Nov 2023 22:1:20 GMT', 'Tue, 4 Nov 2023 22:13:20 GMT', 'Tue, 14 Nov 2023 123:13:20 GMT',
    ]) assert.ok(Number.isNaN(parseSignatureDate(bad)), bad);
    assert.equal(parseSignatureDate('Thu, 29 Feb 2024 10:00:00 GMT'), Date.UTC(2024, 1, 29, 10));
    assert.equal(parseSignatureDate('Tue, 14 Nov 2023 2:13:20 GMT'), Date.UTC(2023, 10, 14, 2, 13, 20));
    assert.equal(parseSignatureDate('Tue, 14 Nov 2023 02:13:20 GMT'), Date.UTC(2023, 10, 14, 2, 13, 20));
    assert.equal(parseSignatureDate('Tue, 14 Nov 2023 23:59:59 +01'), Date.UTC(2023, 10, 14, 22, 59, 59));
  });
});
