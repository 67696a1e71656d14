/**
 * The protocol range the TLS listener actually serves (tls-and-certificates.md §1), as tyk.conf version
 * codes (769 = TLS 1.0 … 772 = TLS 1.3).
 */

/** tollgate's default minimum (RFC 8996): TLS 1.2. */
export const DEFAULT_SERVER_MIN_VERSION = 771;
/** tollgate's default maximum: TLS 1.3. */
export const DEFAULT_SERVER_MAX_VERSION = 772;

/**
 * Effective `[min, max]` of `http_server_options`. An explicit value is honoured as it is. With only
 * `max_version` set below the default minimum (769 or 770), the minimum drops to that maximum: the key
 * explicitly asked for a deprecated protocol (honoured, with a warning), and the default minimum is not
 * a value anyone configured, so it must not make the listener refuse every handshake. Only that one
 * version is enabled: nothing older than what was asked for. Two explicit keys with min > max are refused
 * when the configuration is loaded.
 *
 * @example
 * effectiveServerVersions(0, 770) // [770, 770]
 * effectiveServerVersions(0, 0)   // [771, 772]
 * effectiveServerVersions(769, 771) // [769, 771]
 */
export function effectiveServerVersions(min: number, max: number): [number, number] {
  const effectiveMax = max || DEFAULT_SERVER_MAX_VERSION;
  const effectiveMin = min || Math.min(DEFAULT_SERVER_MIN_VERSION, effectiveMax);
  return [effectiveMin, effectiveMax];
}

/** Whether a tyk.conf version code names a protocol deprecated by RFC 8996 (TLS 1.0, 1.1). */
export function isDeprecatedTlsVersion(code: number): boolean {
  return code === 769 || code === 770;
}
