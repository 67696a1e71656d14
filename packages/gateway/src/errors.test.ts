import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyOverrideMessages, classifyTlsError, classifyUpstreamError, errors, statusLine, tykError } from './errors.js';

const err = (code: string | undefined, message = 'boom'): Error & { code?: string } => Object.assign(new Error(message), code === undefined ? {} : { code });

describe('error bodies', () => {
  it("renders Tyk's JSON error body byte for byte, with no trailing newline", () => {
    assert.equal(errors.upstreamTimeout.body.toString(), '{\n    "error": "Upstream service reached hard timeout."\n}');
    assert.equal(errors.upstreamRefused.body.toString(), '{\n    "error": "There was a problem proxying the request"\n}');
    assert.equal(errors.upstreamDnsNotFound.body.toString(), '{\n    "error": "Upstream host lookup failed"\n}');
    assert.equal(errors.requestBodyRead.body.toString(), '{\n    "error": "There was a problem with reading Body of the Request."\n}');
    for (const e of Object.values(errors)) {
      if (e.contentType === 'application/json') {
        assert.notEqual(e.body.at(-1), 0x0a, `${e.code} ends without a newline`);
        assert.deepEqual(JSON.parse(e.body.toString()), { error: e.message }, `${e.code} is valid JSON`);
      }
    }
  });

  it('renders the plain-text errors as Tyk does', () => {
    assert.equal(errors.notFound.body.toString(), 'Not Found');
    assert.equal(errors.notFound.status, 404);
    assert.match(errors.notFound.contentType, /^text\/plain/);
    assert.equal(errors.allHostsDown.body.toString(), 'all hosts are down\n');
    assert.equal(errors.allHostsDown.status, 503);
    assert.equal(errors.allHostsDown.flag, 'NHU');
    assert.equal(errors.allHostsDown.message, 'all hosts are down');
    assert.equal(errors.entityTooLarge.status, 413);
  });

  it('escapes quotes, backslashes and control characters in the message as JSON', () => {
    const e = tykError('TOLLGATE_ERR_TEST', 400, 'TST', 'say "hi" \\ there\n');
    assert.equal(e.body.toString(), '{\n    "error": "say \\"hi\\" \\\\ there\\n"\n}');
    assert.deepEqual(JSON.parse(e.body.toString()), { error: 'say "hi" \\ there\n' });
    assert.equal(e.status, 400);
    assert.equal(e.statusLine, '400 Bad Request');
    assert.equal(e.contentType, 'application/json');
  });

  it('freezes catalogue entries and builds status lines once', () => {
    assert.ok(Object.isFrozen(errors.upstreamError));
    assert.equal(statusLine(504), '504 Gateway Timeout');
    assert.equal(statusLine(499), '499 Client Closed Request');
    assert.equal(statusLine(200), '200 OK');
    assert.equal(statusLine(599), '599 Status');
    assert.equal(errors.upstreamTimeout.statusLine, '504 Gateway Timeout');
  });
});

describe('override_messages (auth.md §11)', () => {
  it('rebuilds the auth token\'s entries with the given code and message; 0 / "" keep the default; basic auth untouched', () => {
    const untouched = errors.upstreamError;
    try {
      applyOverrideMessages(new Map([
        ['auth.auth_field_missing', { code: 418, message: 'Send "X-Api-Key"' }],
        ['auth.key_not_found', { code: 0, message: 'Unknown key' }],
        ['oauth.client_deleted', { code: 401, message: 'nothing raises this yet' }],
      ]));
      assert.deepEqual([errors.authFieldMissing.status, errors.authFieldMissing.statusLine, errors.authFieldMissing.flag],
        [418, "418 I'm a Teapot", 'AMF']);
      assert.equal(errors.authFieldMissing.body.toString(), '{\n    "error": "Send \\"X-Api-Key\\""\n}');
      assert.deepEqual([errors.keyNotFound.status, errors.keyNotFound.message, errors.keyNotFound.flag], [403, 'Unknown key', 'AKI']);
      assert.deepEqual([errors.basicFieldMissing.status, errors.basicFieldMissing.message], [401, 'Authorization field missing']);
      assert.equal(errors.upstreamError, untouched, 'other entries are the same objects');
      assert.ok(Object.isFrozen(errors) && Object.isFrozen(errors.authFieldMissing));
    } finally {
      applyOverrideMessages(new Map());
    }
    assert.deepEqual([errors.authFieldMissing.status, errors.authFieldMissing.message], [401, 'Authorization field missing']);
  });
});

describe('classifyUpstreamError (spec errors-and-flags.md §2.2)', () => {
  const proxying = 'There was a problem proxying the request';
  // code, flag, status, message
  const rows: Array<[string | undefined, string, number, string]> = [
    ['ECONNREFUSED', 'UCF', 500, proxying],
    ['ETIMEDOUT', 'UCT', 500, proxying],
    ['ECONNRESET', 'URR', 500, proxying],
    ['EPIPE', 'EPI', 500, proxying],
    ['ECONNABORTED', 'CAB', 500, proxying],
    ['ENETRESET', 'NRS', 500, proxying],
    ['ENETUNREACH', 'NRH', 500, proxying],
    ['EHOSTUNREACH', 'NRH', 500, proxying],
    ['ENOTFOUND', 'DNS', 500, 'Upstream host lookup failed'],
    ['EAI_AGAIN', 'DNS', 500, proxying],
    // proxy_default_timeout bounds connect and the wait for response headers: exceeded → 504 (spec §3).
    ['UND_ERR_HEADERS_TIMEOUT', 'URT', 504, 'Upstream service reached hard timeout.'],
    ['UND_ERR_CONNECT_TIMEOUT', 'URT', 504, 'Upstream service reached hard timeout.'],
    ['TOLLGATE_UPSTREAM_HEADERS_TIMEOUT', 'URT', 504, 'Upstream service reached hard timeout.'],
    ['TOLLGATE_UPSTREAM_CONNECT_TIMEOUT', 'URT', 504, 'Upstream service reached hard timeout.'],
    ['TOLLGATE_UPSTREAM_CLOSED', 'URR', 500, proxying],
    // undici's "other side closed": the upstream dropped the connection.
    ['UND_ERR_SOCKET', 'URR', 500, proxying],
    ['ESOMETHINGELSE', 'UPE', 500, proxying],
    [undefined, 'UPE', 500, proxying],
  ];
  for (const [code, flag, status, message] of rows) {
    it(`${code ?? 'no code'} → ${status} ${flag}`, () => {
      const e = classifyUpstreamError(err(code));
      assert.equal(e.flag, flag);
      assert.equal(e.status, status);
      assert.equal(e.message, message);
      assert.equal(e.body.toString(), `{\n    "error": "${message}"\n}`);
    });
  }
});

describe('upstream TLS errors (tls-and-certificates.md §10)', () => {
  it('maps OpenSSL/Node codes to Tyk\'s TLS flags, all 500 with the proxy message', () => {
    const cases: Array<[string, string]> = [
      ['CERT_HAS_EXPIRED', 'TLE'], ['INVALID_PURPOSE', 'TLI'], ['ERR_TLS_CERT_ALTNAME_INVALID', 'TLM'],
      ['DEPTH_ZERO_SELF_SIGNED_CERT', 'TLN'], ['UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'TLN'],
      ['ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE', 'TLH'], ['ERR_SSL_WRONG_VERSION_NUMBER', 'TLH'],
      ['ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION', 'TLP'], ['ERR_SSL_TLSV1_ALERT_UNKNOWN_CA', 'TLA'],
    ];
    for (const [code, flag] of cases) {
      const e = classifyUpstreamError(err(code));
      assert.equal(e.flag, flag, code);
      assert.equal(e.status, 500);
      assert.equal(e.message, 'There was a problem proxying the request');
    }
    assert.equal(classifyTlsError('ECONNREFUSED'), null);
    assert.equal(classifyUpstreamError(err('TOLLGATE_UPSTREAM_PIN_MISMATCH')).flag, 'UPE');
  });
});
