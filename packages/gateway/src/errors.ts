/**
 * Client-facing errors of the data path, with Tyk's status, exact message and response flag
 * (spec errors-and-flags.md). Bodies are rendered once, at module load, in Tyk's format:
 * `{\n    "error": "<message>"\n}` with no trailing newline. tyk.conf `override_messages` rebuilds the
 * catalogue once more when a worker starts (`applyOverrideMessages`); requests only read it.
 */
import { STATUS_CODES } from 'node:http';
import type { MessageOverride } from '@tollgate/apidef';

const STATUS_TEXT: Record<number, string> = {
  200: 'OK', 204: 'No Content', 304: 'Not Modified', 301: 'Moved Permanently', 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found',
  405: 'Method Not Allowed', 411: 'Length Required', 413: 'Request Entity Too Large', 429: 'Too Many Requests',
  499: 'Client Closed Request', 500: 'Internal Server Error', 501: 'Not Implemented', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout',
};

const statusLines = new Map<number, string>();

/** "200 OK"-style status lines, built once per code. */
export function statusLine(status: number): string {
  let line = statusLines.get(status);
  if (line === undefined) {
    line = `${status} ${STATUS_TEXT[status] ?? STATUS_CODES[status] ?? 'Status'}`;
    statusLines.set(status, line);
  }
  return line;
}

export interface GatewayError {
  readonly code: string;
  readonly status: number;
  readonly statusLine: string;
  readonly flag: string;
  readonly message: string;
  readonly contentType: string;
  readonly body: Buffer;
  /**
   * Tyk's default error document (errors-and-flags.md §1), written by its error handler: it carries
   * `X-Generator: tyk.io` unless hide_generator_header. The plain-text answers (no route, 413, all hosts
   * down) are not written that way.
   */
  readonly isErrorDocument: boolean;
}

/**
 * A catalogue entry with Tyk's JSON body; the message is JSON-escaped.
 *
 * @example
 * const keyNotAuthorised = tykError('TOLLGATE_ERR_KEY_NOT_AUTHORISED', 403, 'KNA', 'Access to this API has been disallowed');
 */
export function tykError(code: string, status: number, flag: string, message: string): GatewayError {
  const body = Buffer.from(`{\n    "error": ${JSON.stringify(message)}\n}`);
  return Object.freeze({ code, status, statusLine: statusLine(status), flag, message, contentType: 'application/json', body, isErrorDocument: true });
}

function textError(code: string, status: number, flag: string, text: string): GatewayError {
  return Object.freeze({
    code, status, statusLine: statusLine(status), flag, message: text.trim(), contentType: 'text/plain; charset=utf-8', body: Buffer.from(text),
    isErrorDocument: false,
  });
}

const defaults = Object.freeze({
  notFound: textError('TOLLGATE_ERR_NO_ROUTE', 404, '', 'Not Found'),
  upstreamTimeout: tykError('TOLLGATE_ERR_UPSTREAM_TIMEOUT', 504, 'URT', 'Upstream service reached hard timeout.'),
  upstreamRefused: tykError('TOLLGATE_ERR_UPSTREAM_REFUSED', 500, 'UCF', 'There was a problem proxying the request'),
  upstreamConnectTimeout: tykError('TOLLGATE_ERR_UPSTREAM_CONNECT_TIMEOUT', 500, 'UCT', 'There was a problem proxying the request'),
  upstreamAborted: tykError('TOLLGATE_ERR_UPSTREAM_ABORTED', 500, 'CAB', 'There was a problem proxying the request'),
  upstreamNetReset: tykError('TOLLGATE_ERR_UPSTREAM_NET_RESET', 500, 'NRS', 'There was a problem proxying the request'),
  upstreamReset: tykError('TOLLGATE_ERR_UPSTREAM_RESET', 500, 'URR', 'There was a problem proxying the request'),
  upstreamPipe: tykError('TOLLGATE_ERR_UPSTREAM_PIPE', 500, 'EPI', 'There was a problem proxying the request'),
  upstreamUnreachable: tykError('TOLLGATE_ERR_UPSTREAM_UNREACHABLE', 500, 'NRH', 'There was a problem proxying the request'),
  upstreamDnsNotFound: tykError('TOLLGATE_ERR_UPSTREAM_DNS', 500, 'DNS', 'Upstream host lookup failed'),
  upstreamDns: tykError('TOLLGATE_ERR_UPSTREAM_DNS', 500, 'DNS', 'There was a problem proxying the request'),
  upstreamError: tykError('TOLLGATE_ERR_UPSTREAM', 500, 'UPE', 'There was a problem proxying the request'),
  // CDC (errors-and-flags.md §2.2): the client went away first; recorded (status, flag, metrics), never written.
  clientClosed: tykError('TOLLGATE_ERR_CLIENT_CLOSED', 499, 'CDC', 'Client closed request'),
  allHostsDown: textError('TOLLGATE_ERR_NO_HEALTHY_UPSTREAM', 503, 'NHU', 'all hosts are down\n'),
  requestBodyRead: tykError('TOLLGATE_ERR_BODY_READ', 500, '', 'There was a problem with reading Body of the Request.'),
  ipDisallowed: tykError('TOLLGATE_ERR_IP_DISALLOWED', 403, '', 'access from this IP has been disallowed'),
  internal: tykError('TOLLGATE_ERR_INTERNAL', 500, '', 'There was a problem proxying the request'),
  // Tyk's userRatesCheck answers a request without a session with this (sic) message.
  ratesWithoutSession: tykError('TOLLGATE_ERR_RATES_NO_SESSION', 400, '', 'Health checks are not enabled for this node'),
  endpointForbidden: tykError('TOLLGATE_ERR_ENDPOINT_FORBIDDEN', 403, '', 'Requested endpoint is forbidden'),
  versionNotFound: tykError('TOLLGATE_ERR_VERSION_NOT_FOUND', 403, '', 'Version information not found'),
  versionDoesNotExist: tykError('TOLLGATE_ERR_VERSION_DOES_NOT_EXIST', 403, '', 'This API version does not seem to exist'),
  versionExpired: tykError('TOLLGATE_ERR_VERSION_EXPIRED', 403, '', 'Api Version has expired, please check documentation or contact administrator'),
  apiExpired: tykError('TOLLGATE_ERR_API_EXPIRED', 403, '', 'API has expired, please check documentation or contact administrator'),
  noDefaultVersion: tykError('TOLLGATE_ERR_NO_DEFAULT_VERSION', 403, '', 'No default API version for this non-versioned API found'),
  ambiguousDefaultVersion: tykError('TOLLGATE_ERR_AMBIGUOUS_DEFAULT_VERSION', 403, '', 'Ambiguous default API version for this non-versioned API'),
  bodyTooLarge: tykError('TOLLGATE_ERR_BODY_TOO_LARGE', 400, 'BTL', 'Request is too large'),
  contentLengthMissing: tykError('TOLLGATE_ERR_CONTENT_LENGTH_MISSING', 411, 'CLM', 'Content length is required for this request'),
  contentLengthInvalid: tykError('TOLLGATE_ERR_CONTENT_LENGTH_INVALID', 400, '', 'content length is not a valid Integer'),
  // Rate limits and quotas (rate-limits-and-quotas.md §3): the storage error text is lower-case in Tyk.
  rateLimited: tykError('TOLLGATE_ERR_RATE_LIMITED', 429, 'RLT', 'Rate Limit Exceeded'),
  apiRateLimited: tykError('TOLLGATE_ERR_API_RATE_LIMITED', 429, 'RLT', 'API Rate Limit Exceeded'),
  quotaExceeded: tykError('TOLLGATE_ERR_QUOTA_EXCEEDED', 403, 'QEX', 'Quota exceeded'),
  rateLimitStorage: tykError('TOLLGATE_ERR_RATE_LIMIT_STORAGE', 500, 'RLT', 'there was a problem proxying the request'),
  // Upstream TLS (tls-and-certificates.md §10): Tyk's default for every flag is 500 with the proxy message.
  tlsExpired: tykError('TOLLGATE_ERR_UPSTREAM_TLS_EXPIRED', 500, 'TLE', 'There was a problem proxying the request'),
  tlsInvalid: tykError('TOLLGATE_ERR_UPSTREAM_TLS_INVALID', 500, 'TLI', 'There was a problem proxying the request'),
  tlsHostMismatch: tykError('TOLLGATE_ERR_UPSTREAM_TLS_HOST', 500, 'TLM', 'There was a problem proxying the request'),
  tlsUnknownAuthority: tykError('TOLLGATE_ERR_UPSTREAM_TLS_UNTRUSTED', 500, 'TLN', 'There was a problem proxying the request'),
  tlsHandshake: tykError('TOLLGATE_ERR_UPSTREAM_TLS_HANDSHAKE', 500, 'TLH', 'There was a problem proxying the request'),
  tlsProtocol: tykError('TOLLGATE_ERR_UPSTREAM_TLS_PROTOCOL', 500, 'TLP', 'There was a problem proxying the request'),
  tlsAlert: tykError('TOLLGATE_ERR_UPSTREAM_TLS_ALERT', 500, 'TLA', 'There was a problem proxying the request'),
  // Mutual TLS request check (auth.md §9): 403 without a flag.
  mtlsNotTls: tykError('TOLLGATE_ERR_MTLS_NOT_TLS', 403, '', 'TLS not enabled'),
  mtlsCertificateRequired: tykError('TOLLGATE_ERR_MTLS_REQUIRED', 403, '', 'Client TLS certificate is required'),
  mtlsCertificateExpired: tykError('TOLLGATE_ERR_MTLS_EXPIRED', 403, '', 'Certificate has expired'),
  entityTooLarge: textError('TOLLGATE_ERR_ENTITY_TOO_LARGE', 413, '', 'Request Entity Too Large\n'),
  // Authentication and key checks (auth.md §4-§8, errors-and-flags.md §2.1, §2.3). authFieldMissing and
  // keyNotFound are the auth token's (override IDs auth.auth_field_missing, auth.key_not_found); basic
  // auth answers the same text under no ID, so its own entry is not overridden, as in Tyk.
  authFieldMissing: tykError('TOLLGATE_ERR_AUTH_FIELD_MISSING', 401, 'AMF', 'Authorization field missing'),
  basicFieldMissing: tykError('TOLLGATE_ERR_AUTH_FIELD_MISSING', 401, 'AMF', 'Authorization field missing'),
  keyNotFound: tykError('TOLLGATE_ERR_KEY_NOT_FOUND', 403, 'AKI', 'Access to this API has been disallowed'),
  keyInactive: tykError('TOLLGATE_ERR_KEY_INACTIVE', 403, '', 'Key is inactive, please renew'),
  keyExpired: tykError('TOLLGATE_ERR_KEY_EXPIRED', 401, '', 'Key has expired, please renew'),
  apiAccessDisallowed: tykError('TOLLGATE_ERR_API_ACCESS_DISALLOWED', 403, '', 'Access to this API has been disallowed'),
  resourceDisallowed: tykError('TOLLGATE_ERR_RESOURCE_DISALLOWED', 403, '', 'Access to this resource has been disallowed'),
  sessionMissing: tykError('TOLLGATE_ERR_SESSION_MISSING', 400, '', 'Session state is missing or unset! Please make sure that auth headers are properly applied'),
  basicHeaderMalformed: tykError('TOLLGATE_ERR_BASIC_MALFORMED', 400, 'IHD', 'Attempted access with malformed header, header not in basic auth format'),
  basicEncodingMalformed: tykError('TOLLGATE_ERR_BASIC_MALFORMED', 400, 'IHD', 'Attempted access with malformed header, auth data not encoded correctly'),
  basicValuesMalformed: tykError('TOLLGATE_ERR_BASIC_MALFORMED', 400, 'IHD', 'Attempted access with malformed header, values not in basic auth format'),
  userNotAuthorised: tykError('TOLLGATE_ERR_USER_NOT_AUTHORISED', 401, '', 'User not authorised'),
  hmacInvalid: tykError('TOLLGATE_ERR_HMAC_INVALID', 400, '', 'Authorization field missing, malformed or invalid'),
  jwtMissing: tykError('TOLLGATE_ERR_AUTH_FIELD_MISSING', 400, 'AMF', 'Authorization field missing'),
  jwtNotAuthorized: tykError('TOLLGATE_ERR_JWT_INVALID', 403, 'TKI', 'Key not authorized'),
  jwtUnexpectedMethod: tykError('TOLLGATE_ERR_JWT_INVALID', 403, 'TKI', 'Key not authorized: Unexpected signing method'),
  jwtExpired: tykError('TOLLGATE_ERR_JWT_EXPIRED', 401, 'TKE', 'Key not authorized: token has expired'),
  jwtUsedBeforeIssued: tykError('TOLLGATE_ERR_JWT_CLAIMS', 401, 'TCV', 'Key not authorized: token used before issued'),
  jwtNotValidYet: tykError('TOLLGATE_ERR_JWT_CLAIMS', 401, 'TCV', 'Key not authorized: token is not valid yet'),
  jwtNoUserClaims: tykError('TOLLGATE_ERR_JWT_IDENTITY', 403, '', 'no suitable claims for user ID were found'),
  jwtEmptySub: tykError('TOLLGATE_ERR_JWT_IDENTITY', 403, '', 'found an empty user ID in sub claim'),
  jwtNoMatchingPolicy: tykError('TOLLGATE_ERR_JWT_POLICY', 403, '', 'key not authorized: no matching policy'),
  jwtNoMatchingPolicyFound: tykError('TOLLGATE_ERR_JWT_POLICY', 403, '', 'key not authorized: no matching policy found'),
  jwtCouldNotApplyPolicy: tykError('TOLLGATE_ERR_JWT_POLICY', 403, '', 'key not authorized: could not apply new policy'),
});

export type ErrorCatalogue = typeof defaults;

/**
 * tyk.conf `override_messages` IDs (auth.md §11) → the entries Tyk raises under them. The other IDs
 * (`auth.cert_*`, `auth.key_is_invalid`, `oauth.*`) belong to modes tollgate does not serve yet
 * (dynamic mTLS, OAuth): accepted, validated, nothing to change.
 */
const OVERRIDE_TARGETS: Readonly<Record<string, readonly (keyof ErrorCatalogue)[]>> = {
  'auth.auth_field_missing': ['authFieldMissing'],
  'auth.key_not_found': ['keyNotFound'],
};

/** The catalogue in force: Tyk's defaults until a worker applies tyk.conf `override_messages`. */
export let errors: ErrorCatalogue = defaults;

/**
 * Rebuilds the catalogue from Tyk's defaults with `override_messages` applied (a `code` replaces the
 * status, a `message` the text; 0 / "" keep the default; the flag stays). Call once at worker start,
 * before any API is loaded: middlewares read `errors` at request time, some per API when it is built.
 *
 * @example
 * applyOverrideMessages(readOverrideMessages(config.override_messages, 'tollgate.json'));
 */
export function applyOverrideMessages(overrides: ReadonlyMap<string, MessageOverride>): void {
  const next: Record<string, GatewayError> = { ...defaults };
  for (const [id, override] of overrides) {
    for (const name of OVERRIDE_TARGETS[id] ?? []) {
      const base = defaults[name];
      next[name] = tykError(base.code, override.code || base.status, base.flag, override.message || base.message);
    }
  }
  errors = Object.freeze(next) as ErrorCatalogue;
}

/**
 * The refusal of an API that enables auth modes tollgate does not implement (`use_oauth2`, `use_openid`,
 * plugins...): 501, Tyk's error document naming the flags. Tyk has no such error (it runs those modes); it
 * is built once per API when its definition loads, so `override_messages` do not apply.
 *
 * @example
 * unsupportedAuthMode(['use_oauth2']).message // "API uses use_oauth2, which this gateway does not implement"
 */
export function unsupportedAuthMode(flags: readonly string[]): GatewayError {
  const named = flags.length <= 1 ? flags.join('') : `${flags.slice(0, -1).join(', ')} and ${flags.at(-1)!}`;
  return tykError('TOLLGATE_ERR_AUTH_MODE_UNSUPPORTED', 501, '', `API uses ${named}, which this gateway does not implement`);
}

/**
 * The same error answered with extra headers (basic auth's `WWW-Authenticate`); built once per API.
 *
 * @example
 * const missing = withHeaders(errors.authFieldMissing, ['www-authenticate', 'Basic realm="shop"']);
 */
export function withHeaders(error: GatewayError, headers: readonly string[]): GatewayError & { readonly headers: readonly string[] } {
  return Object.freeze({ ...error, headers: Object.freeze([...headers]) });
}

/** Maps an undici / socket error to the catalogue (spec errors-and-flags.md §2.2, first match wins). */
export function classifyUpstreamError(err: Error & { code?: string }): GatewayError {
  switch (err.code) {
    case 'TOLLGATE_UPSTREAM_HEADERS_TIMEOUT':
    case 'TOLLGATE_UPSTREAM_CONNECT_TIMEOUT':
    case 'TOLLGATE_UPSTREAM_BODY_TIMEOUT':
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return errors.upstreamTimeout;
    case 'ECONNREFUSED':
      return errors.upstreamRefused;
    case 'ETIMEDOUT':
      // A socket-level timeout, not proxy_default_timeout: UCT with the default 500 (§2.2).
      return errors.upstreamConnectTimeout;
    case 'ECONNABORTED':
      return errors.upstreamAborted;
    case 'ENETRESET':
      return errors.upstreamNetReset;
    case 'ECONNRESET':
    case 'TOLLGATE_UPSTREAM_CLOSED':
    case 'UND_ERR_SOCKET':
      return errors.upstreamReset;
    case 'EPIPE':
      return errors.upstreamPipe;
    case 'ENETUNREACH':
    case 'EHOSTUNREACH':
      return errors.upstreamUnreachable;
    case 'ENOTFOUND':
      return errors.upstreamDnsNotFound;
    case 'EAI_AGAIN':
      return errors.upstreamDns;
    default:
      return classifyTlsError(err.code ?? '') ?? errors.upstreamError;
  }
}

const UNKNOWN_AUTHORITY = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_UNTRUSTED',
]);
const INVALID_CERT = new Set([
  'CERT_NOT_YET_VALID', 'CERT_REVOKED', 'CERT_REJECTED', 'INVALID_CA', 'INVALID_PURPOSE', 'PATH_LENGTH_EXCEEDED',
  'CERT_SIGNATURE_FAILURE', 'CERT_CHAIN_TOO_LONG', 'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY', 'HOSTNAME_MISMATCH',
  'ERROR_IN_CERT_NOT_BEFORE_FIELD', 'ERROR_IN_CERT_NOT_AFTER_FIELD', 'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
]);
const HANDSHAKE_FAILURES = new Set([
  'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE', 'ERR_SSL_TLSV1_ALERT_INTERNAL_ERROR', 'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE',
  'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', 'ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_SSL_NO_SHARED_CIPHER',
]);
const PROTOCOL_ERRORS = new Set([
  'ERR_SSL_UNSUPPORTED_PROTOCOL', 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION', 'ERR_SSL_NO_PROTOCOLS_AVAILABLE',
  'ERR_SSL_PACKET_LENGTH_TOO_LONG', 'ERR_SSL_RECORD_LAYER_FAILURE', 'ERR_SSL_BAD_RECORD_TYPE',
]);

/**
 * Node/OpenSSL TLS error codes → Tyk's TLS flags (§10). `ERR_SSL_WRONG_VERSION_NUMBER` is what OpenSSL
 * reports when the upstream does not speak TLS (Go: "first record does not look like a TLS handshake").
 */
export function classifyTlsError(code: string): GatewayError | null {
  if (code === 'CERT_HAS_EXPIRED') return errors.tlsExpired;
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return errors.tlsHostMismatch;
  if (UNKNOWN_AUTHORITY.has(code)) return errors.tlsUnknownAuthority;
  if (INVALID_CERT.has(code)) return errors.tlsInvalid;
  if (HANDSHAKE_FAILURES.has(code)) return errors.tlsHandshake;
  if (PROTOCOL_ERRORS.has(code)) return errors.tlsProtocol;
  if (/^ERR_SSL_.*ALERT/.test(code)) return errors.tlsAlert;
  return null;
}

