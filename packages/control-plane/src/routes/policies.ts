import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson, sendModified, sendStatus } from '../http-reply.js';
import { parseJsonObject, readBody } from '../read-body.js';
import type { PolicyRegistry, PolicyResult } from '../policy-registry.js';

const MAX_POLICY_BYTES = 1024 * 1024;

/** `/tyk/policies` and `/tyk/policies/{id}` with Tyk's shapes and texts (gateway-api.md §8.2). */
export async function handlePolicies(
  registry: PolicyRegistry, req: IncomingMessage, res: ServerResponse, id: string | undefined,
): Promise<void> {
  switch (req.method ?? 'GET') {
    case 'GET': {
      if (id === undefined) return sendJson(res, 200, await registry.list());
      const policy = await registry.get(id);
      return policy ? sendJson(res, 200, policy) : sendStatus(res, 404, 'Policy not found');
    }
    case 'POST': {
      const body = parseJsonObject(await readBody(req, MAX_POLICY_BYTES));
      return reply(res, await registry.create(body), 'added');
    }
    case 'PUT': {
      // Tyk's texts say "apiID" here (sic).
      if (id === undefined) return sendStatus(res, 400, 'Must specify an apiID to update');
      const body = parseJsonObject(await readBody(req, MAX_POLICY_BYTES));
      return reply(res, await registry.update(id, body), 'modified');
    }
    case 'DELETE':
      if (id === undefined) return sendStatus(res, 400, 'Must specify an apiID to delete');
      return reply(res, await registry.remove(id), 'deleted');
    default:
      return sendStatus(res, 405, 'Method not supported');
  }
}

function reply(res: ServerResponse, result: PolicyResult, action: 'added' | 'modified' | 'deleted'): void {
  if (result.ok) sendModified(res, result.id, action);
  else sendStatus(res, result.status, result.message);
}
