import { createHmac } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AdminClient, Definition } from './admin-client.js';
import { keylessApi } from './admin-client.js';

/** An API definition of org `e2e` with auth fields instead of `use_keyless`. */
export function keyedApi(apiId: string, listenPath: string, targetUrl: string, extra: Definition = {}): Definition {
  return { ...keylessApi(apiId, listenPath, targetUrl), use_keyless: false, ...extra };
}

/** Access rights to the given APIs (Default version). */
export function rightsTo(...apiIds: string[]): Record<string, unknown> {
  return Object.fromEntries(apiIds.map((id) => [id, { api_id: id, api_name: id, versions: ['Default'] }]));
}

/** `POST /tyk/keys/{name}` with a session; resolves with the key ID the gateway formed. */
export async function createKey(admin: AdminClient, name: string, session: Record<string, unknown>): Promise<string> {
  const res = await admin.call<{ key: string }>('POST', `/tyk/keys/${encodeURIComponent(name)}`, { org_id: 'e2e', ...session });
  if (res.status !== 200) throw new Error(`creating key ${name}: ${res.status} ${res.text}`);
  return res.json.key;
}

/** `POST /tyk/policies` (or PUT when it exists already). */
export async function putPolicy(admin: AdminClient, policy: Record<string, unknown> & { id: string }, isUpdate = false): Promise<void> {
  const res = isUpdate
    ? await admin.call('PUT', `/tyk/policies/${encodeURIComponent(policy.id)}`, { org_id: 'e2e', ...policy })
    : await admin.call('POST', '/tyk/policies', { org_id: 'e2e', ...policy });
  if (res.status !== 200) throw new Error(`writing policy ${policy.id}: ${res.status} ${res.text}`);
}

/** The default HMAC `Authorization` value for a date-only signature. */
export function hmacAuthorization(keyId: string, secret: string, date: string): string {
  const signature = encodeURIComponent(createHmac('sha256', secret).update(`date: ${date}`).digest('base64'));
  return `Signature keyId="${keyId}",algorithm="hmac-sha256",signature="${signature}"`;
}

/** A JWKS document server on 127.0.0.1 whose keys a test can replace. */
export interface JwksServer {
  readonly url: string;
  keys: object[];
  close(): Promise<void>;
}

export async function startJwksServer(keys: object[]): Promise<JwksServer> {
  const state = { keys };
  const server = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: state.keys }));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`,
    get keys() { return state.keys; },
    set keys(value: object[]) { state.keys = value; },
    close: () => new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
