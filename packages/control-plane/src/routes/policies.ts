import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { sendJson, sendModified, sendStatus } from '../http-reply.js';
import { parseJsonObject, readBody } from '../read-body.js';
import type { PolicyRegistry, PolicyResult } from '../policy-registry.js';

const MAX_POLICY_BYTES = 1024 * 1024;

/**
 * `/tyk/policies` and `/tyk/policies/{id}` with Tyk's shapes and texts (gateway-api.md §8.2). A body with a
 * mistyped field answers Tyk's exact `Request malformed`; the field and reason go to the log at warn.
 */
export async function handlePolicies(
  registry: PolicyRegistry, req: IncomingMessage, res: ServerResponse, id: string | undefined, logger: Logger,
): Promise<void> {
  switch (req.method ?? 'GET') {
    case 'GET': {
      if (id === undefined) return sendJson(res, 200, await registry.list());
      const policy = await registry.get(id);
      return policy ? sendJson(res, 200, policy) : sendStatus(res, 404, 'Policy not found');
    }
    case 'POST': {
      const body = parseJsonObject(await readBody(req, MAX_POLICY_BYTES));
      return reply(res, await registry.create(body), 'added', logger);
    }
    case 'PUT': {
      // Tyk's texts say "apiID" here (sic).
      if (id === undefined) return sendStatus(res, 400, 'Must specify an apiID to update');
      const body = parseJsonObject(await readBody(req, MAX_POLICY_BYTES));
      return reply(res, await registry.update(id, body), 'modified', logger);
    }
    case 'DELETE':
      if (id === undefined) return sendStatus(res, 400, 'Must specify an apiID to delete');
      return reply(res, await registry.remove(id), 'deleted', logger);
    default:
      return sendStatus(res, 405, 'Method not supported');
  }
}

function reply(res: ServerResponse, result: PolicyResult, action: 'added' | 'modified' | 'deleted', logger: Logger): void {
  if (result.ok) return sendModified(res, result.id, action);
  if (result.detail !== undefined) logger.warn({ field: result.field, reason: result.detail }, `policy body refused: ${result.message}`);
  sendStatus(res, result.status, result.message);
}
