import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';

type Interfaces = NodeJS.Dict<NetworkInterfaceInfo[]>;

/** Addresses that mean "every interface": nothing a gateway on another machine could dial. */
const UNSPECIFIED = new Set(['', '0.0.0.0', '::', '[::]']);

/**
 * The URL gateways dial to reach this control plane's admin API (registered in Redis, used by gateways that
 * serve `/tyk/` on their own port). The host is `control_api_advertise_address` when set, else
 * `listen_address` when it names one interface, else the first non-loopback IPv4 address of the machine,
 * else 127.0.0.1.
 *
 * @example
 * adminApiUrl({ control_api_advertise_address: '', listen_address: '' }, 41234) // 'http://192.0.2.2:41234'
 */
export function adminApiUrl(
  config: { readonly control_api_advertise_address?: string; readonly listen_address?: string },
  port: number,
  interfaces: Interfaces = networkInterfaces(),
): string {
  const host = config.control_api_advertise_address || (UNSPECIFIED.has(config.listen_address ?? '') ? firstExternalIpv4(interfaces) : config.listen_address!);
  const bracketed = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return `http://${bracketed}:${port}`;
}

function firstExternalIpv4(interfaces: Interfaces): string {
  for (const list of Object.values(interfaces)) {
    for (const info of list ?? []) if (info.family === 'IPv4' && !info.internal) return info.address;
  }
  return '127.0.0.1';
}
