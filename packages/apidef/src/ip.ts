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
