import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson, sendModified, sendStatus } from '../http-reply.js';
import { parseJsonObject, readBody } from '../read-body.js';
import type { ApiRegistry, RegistryResult } from '../api-registry.js';

const MAX_DEFINITION_BYTES = 4 * 1024 * 1024;

/** `/tyk/apis` and `/tyk/apis/{id}` with Tyk's response shapes (gateway-api.md §5). */
export async function handleApis(
  registry: ApiRegistry, req: IncomingMessage, res: ServerResponse, id: string | undefined,
): Promise<void> {
  const method = req.method ?? 'GET';
  if (id === undefined) {
    if (method === 'GET') return sendJson(res, 200, await registry.list());
    if (method === 'POST') {
      const body = parseJsonObject(await readBody(req, MAX_DEFINITION_BYTES));
      if (!body) return sendStatus(res, 400, 'Request malformed');
      return reply(res, await registry.create(body), 'added');
    }
    return sendStatus(res, 405, 'Method not supported');
  }
  switch (method) {
    case 'GET': {
      const def = await registry.get(id);
      return def ? sendJson(res, 200, def) : sendStatus(res, 404, 'API not found');
    }
    case 'PUT': {
      const body = parseJsonObject(await readBody(req, MAX_DEFINITION_BYTES));
      if (!body) return sendStatus(res, 400, 'Request malformed');
      return reply(res, await registry.update(id, body), 'modified');
    }
    case 'DELETE':
      return reply(res, await registry.remove(id), 'deleted');
    default:
      return sendStatus(res, 405, 'Method not supported');
  }
}

function reply(res: ServerResponse, result: RegistryResult, action: 'added' | 'modified' | 'deleted'): void {
  if (result.ok) sendModified(res, result.id, action);
  else sendStatus(res, result.status, result.message);
}
