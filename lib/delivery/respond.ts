/** The one short-text reply every refusal and error uses (status, a one-line reason, no details). */
import type { ServerResponse } from 'node:http';
import { ERROR_HEADERS } from '../http/plan';

/**
 * Ends `res` with `status` and a one-line reason (for HEAD, the headers only). Reasons are
 * short and generic: storage details go to logs, never to clients.
 *
 * @example
 * sendText(res, 404, 'Not Found');
 */
export function sendText(res: ServerResponse, status: number, reason: string, headers: Record<string, string> = {}, head = false): void {
  const body = `${reason}\n`;
  res.writeHead(status, { ...ERROR_HEADERS, ...headers, 'Content-Length': String(Buffer.byteLength(body)) });
  res.end(head ? undefined : body);
}
