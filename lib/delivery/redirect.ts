/** Redirect delivery: a 302 to a short-lived presigned URL that carries the filename and type. */
import type { ServerResponse } from 'node:http';
import type { ResponsePlan } from '../http/plan';
import type { Storage } from '../storage/types';

/**
 * Presigns the object with the plan's Content-Type, Content-Disposition and Cache-Control and
 * answers 302. The redirect itself is never cached (the URL expires).
 *
 * @example
 * await sendRedirect(res, s3, 'shows/morning.mp3', plan, 300);
 */
export async function sendRedirect(res: ServerResponse, storage: Storage, key: string, plan: ResponsePlan, expiresIn: number): Promise<void> {
  if (!storage.presign) throw new TypeError(`storage ${storage.kind} cannot presign URLs`);
  const url = await storage.presign(key, {
    expiresIn,
    contentType: plan.headers['Content-Type'],
    contentDisposition: plan.headers['Content-Disposition'],
    cacheControl: plan.headers['Cache-Control'],
  });
  res.writeHead(302, { Location: url, 'Cache-Control': 'private, no-store', 'Content-Length': '0' });
  res.end();
}
