/**
 * IP and CIDR syntax as Go's net.ParseIP / net.ParseCIDR accept it (Tyk parses IP lists with
 * those). ipaddr.js alone is too lenient: it takes `1.2.3` and octal/hex IPv4 forms.
 */

import ipaddr from "ipaddr.js";

function isValidIp(s: string): boolean {
  if (s.includes(":")) return !s.includes("%") && ipaddr.IPv6.isValid(s);
  return ipaddr.IPv4.isValidFourPartDecimal(s);
}

/** True for a single IPv4/IPv6 address or an address/prefix CIDR. */
export function isValidIpOrCidr(entry: string): boolean {
  const slash = entry.indexOf("/");
  if (slash < 0) return isValidIp(entry);
  const addr = entry.slice(0, slash);
  const bits = entry.slice(slash + 1);
  if (!/^\d{1,3}$/.test(bits) || !isValidIp(addr)) return false;
  return Number(bits) <= (addr.includes(":") ? 128 : 32);
}

/** Parses an address (IPv4-mapped IPv6 becomes IPv4, so both spellings compare equal); null when invalid. */
export function parseIpAddress(s: string): ipaddr.IPv4 | ipaddr.IPv6 | null {
  if (!isValidIp(s)) return null;
  const addr = ipaddr.parse(s);
  return addr.kind() === "ipv6" && (addr as ipaddr.IPv6).isIPv4MappedAddress() ? (addr as ipaddr.IPv6).toIPv4Address() : addr;
}

/**
 * Compiles a list of addresses and CIDRs into a predicate over address text. Invalid entries never match
 * (api-definition.md §7); validation on save reports them.
 *
 * @example
 * const isListed = compileIpMatcher(["10.0.0.0/8", "::1"]); isListed("10.1.2.3") // true
 */
export function compileIpMatcher(entries: readonly string[]): (ip: string) => boolean {
  const ranges: [ipaddr.IPv4 | ipaddr.IPv6, number][] = [];
  for (const entry of entries) {
    if (!isValidIpOrCidr(entry)) continue;
    const slash = entry.indexOf("/");
    const addr = parseIpAddress(slash < 0 ? entry : entry.slice(0, slash))!;
    let bits = slash < 0 ? (addr.kind() === "ipv4" ? 32 : 128) : Number(entry.slice(slash + 1));
    // "::ffff:10.0.0.0/104" was parsed to IPv4 above: its prefix counts the 96 mapped bits too.
    if (addr.kind() === "ipv4" && entry.includes(":")) bits = Math.max(0, bits - 96);
    ranges.push([addr, bits]);
  }
  return (ip: string): boolean => {
    const addr = parseIpAddress(ip);
    if (addr === null) return false;
    for (const [range, bits] of ranges) {
      if (range.kind() === addr.kind() && addr.match(range as never, bits)) return true;
    }
    return false;
  };
}
