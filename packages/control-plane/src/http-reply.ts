import type { ServerResponse } from 'node:http';

/** Tyk's admin API writes JSON followed by a newline. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** `{"status": "ok"|"error", "message": "..."}` */
export function sendStatus(res: ServerResponse, status: number, message: string): void {
  sendJson(res, status, { status: status < 400 ? 'ok' : 'error', message });
}

/** `{"key": "<id>", "status": "ok", "action": "..."}`, with `key_hash` only when there is one. */
export function sendModified(res: ServerResponse, key: string, action: 'added' | 'modified' | 'deleted' | 'updated', keyHash?: string): void {
  sendJson(res, 200, keyHash ? { key, status: 'ok', action, key_hash: keyHash } : { key, status: 'ok', action });
}

export function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** A percent-decoded path segment, or undefined when its escapes are malformed (answer 400). */
export function decodeSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}
