import type { ApiDefinition } from '@tollgate/apidef';
import { request } from 'undici';

/** A response of the admin API: status, headers, raw text and the parsed JSON (undefined if not JSON). */
export interface AdminResponse<T = unknown> {
  readonly status: number;
  readonly contentType: string;
  readonly text: string;
  readonly json: T;
}

/** Tyk's status-message shape. */
export interface StatusMessage {
  readonly status: 'ok' | 'error';
  readonly message: string;
}

/** Tyk's modify-success shape. */
export interface ModifyResult {
  readonly key: string;
  readonly status: 'ok';
  readonly action: 'added' | 'modified' | 'deleted';
}

/** A definition as the tests send it: Tyk Classic JSON, possibly with unknown fields. */
export type Definition = Partial<ApiDefinition> & Record<string, unknown>;

export interface AdminClientOptions {
  readonly baseUrl: string;
  readonly secret: string;
}

/**
 * Typed calls to the control plane's Tyk Gateway API (`/tyk/apis...`, `/tyk/reload`).
 *
 * @example
 * const admin = new AdminClient({ baseUrl: tg.controlUrl, secret: tg.secret });
 * const created = await admin.createApi(def); // created.json.key is the api_id
 */
export class AdminClient {
  constructor(private readonly options: AdminClientOptions) {}

  /** Any call; `body` objects are sent as JSON, strings as they are. `secret: null` omits the header. */
  async call<T = unknown>(method: string, path: string, body?: unknown, secret: string | null = this.options.secret): Promise<AdminResponse<T>> {
    const headers: Record<string, string> = {};
    if (secret !== null) headers['x-tyk-authorization'] = secret;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await request(`${this.options.baseUrl}${path}`, {
      method: method as 'GET',
      headers,
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      headersTimeout: 30_000,
      bodyTimeout: 30_000,
    });
    const text = await res.body.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.statusCode, contentType: String(res.headers['content-type'] ?? ''), text, json: json as T };
  }

  listApis(): Promise<AdminResponse<Definition[]>> {
    return this.call('GET', '/tyk/apis');
  }

  getApi(id: string): Promise<AdminResponse<Definition & StatusMessage>> {
    return this.call('GET', `/tyk/apis/${encodeURIComponent(id)}`);
  }

  createApi(def: Definition | string): Promise<AdminResponse<ModifyResult & StatusMessage>> {
    return this.call('POST', '/tyk/apis', def);
  }

  updateApi(id: string, def: Definition | string): Promise<AdminResponse<ModifyResult & StatusMessage>> {
    return this.call('PUT', `/tyk/apis/${encodeURIComponent(id)}`, def);
  }

  deleteApi(id: string): Promise<AdminResponse<ModifyResult & StatusMessage>> {
    return this.call('DELETE', `/tyk/apis/${encodeURIComponent(id)}`);
  }

  /** `GET /tyk/reload`; with `block` it returns once every live worker applied the current revision. */
  reload(block = false): Promise<AdminResponse<StatusMessage>> {
    return this.call('GET', `/tyk/reload${block ? '?block=true' : ''}`);
  }

  /** Like the methods above, but fails with the response text unless the status is 200. */
  async ok<T>(pending: Promise<AdminResponse<T>>): Promise<T> {
    const res = await pending;
    if (res.status !== 200) throw new Error(`admin API answered ${res.status}: ${res.text}`);
    return res.json;
  }
}

/** A minimal valid keyless definition. */
export function keylessApi(apiId: string, listenPath: string, targetUrl: string, extra: Definition = {}): Definition {
  const { proxy, ...rest } = extra;
  return {
    api_id: apiId,
    name: `e2e ${apiId}`,
    org_id: 'e2e',
    use_keyless: true,
    active: true,
    proxy: { listen_path: listenPath, target_url: targetUrl, strip_listen_path: true, ...(proxy as object | undefined) },
    version_data: { not_versioned: true, versions: { Default: { name: 'Default' } } },
    ...rest,
  } as Definition;
}
