import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { sendJson, sendStatus, sendText } from '../http-reply.js';
import { readBody } from '../read-body.js';
import type { KeyContext, KeyReply } from '../keys/key-context.js';
import { deleteKey, getKeyDetail, listKeys } from '../keys/key-reads.js';
import { addOrUpdateKey, createGeneratedKey, previewKey, setKeyPolicies } from '../keys/key-writes.js';

const MAX_SESSION_BYTES = 1024 * 1024;

/** The JSON body, or undefined when it is not JSON (each handler answers that with Tyk's own error). */
async function readJson(req: IncomingMessage): Promise<unknown> {
  const body = await readBody(req, MAX_SESSION_BYTES);
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}

/** Writes the reply; a refused body is logged with the field and reason the client is not sent. */
function send(res: ServerResponse, reply: KeyReply, logger: Logger): void {
  if (reply.refused !== undefined) {
    const { message } = reply.body as { message: string };
    logger.warn({ field: reply.refused.field, reason: reply.refused.reason }, `key body refused: ${message}`);
  }
  sendJson(res, reply.status, reply.body);
}

/**
 * `/tyk/keys...` (gateway-api.md §6) with Tyk's routes: `/keys/create`, `/keys/preview` and
 * `/keys/policy/{hash}` are POST-only; any other method on `/keys/create` or `/keys/preview` addresses a key
 * of that name, as Tyk's router does. `path` has no trailing slash. Keys never reach the log.
 */
export async function handleKeys(ctx: KeyContext, req: IncomingMessage, res: ServerResponse, url: URL, path: string, logger: Logger): Promise<void> {
  const method = req.method ?? 'GET';
  const rest = path === '/tyk/keys' ? undefined : path.slice('/tyk/keys/'.length);
  const policyPath = rest?.startsWith('policy/') ? rest.slice('policy/'.length) : undefined;
  if (policyPath !== undefined && !policyPath.includes('/')) {
    if (method !== 'POST') return sendStatus(res, 405, 'Method not supported');
    return send(res, await setKeyPolicies(ctx, decodeURIComponent(policyPath), await readJson(req)), logger);
  }
  if (rest !== undefined && rest.includes('/')) return sendText(res, 404, '404 page not found');
  if (method === 'POST' && rest === 'create') return send(res, await createGeneratedKey(ctx, await readJson(req)), logger);
  if (method === 'POST' && rest === 'preview') return send(res, await previewKey(ctx, await readJson(req)), logger);
  if (!['GET', 'POST', 'PUT', 'DELETE'].includes(method)) return sendStatus(res, 405, 'Method not supported');
  return send(res, await keyCall(ctx, req, url, method, rest === undefined ? '' : decodeURIComponent(rest), logger), logger);
}

/** Tyk's keyHandler: username conversion, then a retry with the name as given when hashing keys by name. */
async function keyCall(ctx: KeyContext, req: IncomingMessage, url: URL, method: string, given: string, logger: Logger): Promise<KeyReply> {
  const q = url.searchParams;
  const apiId = q.get('api_id') ?? '';
  const orgId = q.get('org_id') ?? '';
  const byHash = (q.get('hashed') ?? '') !== '';
  const isUserName = q.get('username') === 'true';
  const suppressReset = q.get('suppress_reset') === '1';
  const keyName = method === 'POST' ? given : ctx.nameFor(given, orgId, isUserName);
  const retry = async (first: KeyReply, again: (name: string) => Promise<KeyReply>): Promise<KeyReply> =>
    first.status !== 200 && ctx.config.hash_key_function !== '' && keyName !== given ? again(given) : first;

  switch (method) {
    case 'POST':
    case 'PUT': {
      const body = await readJson(req);
      const call = (name: string): Promise<KeyReply> =>
        addOrUpdateKey(ctx, { method, keyName: name, body: structuredClone(body), byHash, suppressReset });
      return method === 'PUT' ? retry(await call(keyName), call) : call(keyName);
    }
    case 'GET': {
      if (given === '') {
        return listKeys(ctx, { filter: q.get('filter') ?? '', apiId }, (msg) => logger.warn({ limit: true }, msg));
      }
      const debug = q.get('debug') === 'true';
      const call = (name: string): Promise<KeyReply> => getKeyDetail(ctx, { keyName: name, apiId, orgId, byHash, debug });
      return retry(await call(keyName), call);
    }
    default: {
      const call = (name: string): Promise<KeyReply> => deleteKey(ctx, { keyName: name, orgId, apiId, byHash });
      return retry(await call(keyName), call);
    }
  }
}
