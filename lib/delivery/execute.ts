/**
 * Executing a plan that has a body, one function per delivery: the nginx hand-off, the redirect
 * to a presigned URL, and the stream from the storage. Each returns the result; the stream
 * returns `'changed'` when the file was replaced between planning and opening (serve() plans
 * once more on the new version).
 */
import type { Readable } from 'node:stream';
import type { ResponsePlan } from '../http/plan';
import { isStorageError, StorageError } from '../storage/errors';
import type { ObjectMeta } from '../storage/types';
import { accelHeaders, sendAccel } from './accel';
import { asStorageError } from './failure';
import type { Job } from './job';
import { sameSpan, type Found } from './metadata';
import { sendRedirect } from './redirect';
import { streamBody } from './stream';
import type { DeliveryResult } from './types';

type BodyPlan = Extract<ResponsePlan, { kind: 'full' | 'partial' }>;
const sized = (meta: ObjectMeta, plan: BodyPlan) => ({ size: meta.size, range: plan.range, bytesSent: null, delivery: null });

/**
 * Hands the response to nginx: X-Accel-Redirect plus the planned headers. Refuses (502) a
 * request that did not come through the generated nginx config: an empty 200 would look like
 * a finished download.
 *
 * @example
 * return handOff(job, plan, meta);
 */
export async function handOff(job: Job, plan: BodyPlan, meta: ObjectMeta): Promise<DeliveryResult> {
  const { storage, key } = job.target;
  const via = job.opts.accel.proxyHeader;
  if (via && job.req.headers[via] === undefined) {
    throw new StorageError('unavailable', `accel delivery needs nginx in front with the nginxConfig() locations: the request has no ${via} header`);
  }
  if (!storage.accel) throw new StorageError('unavailable', `storage ${storage.kind} cannot hand off to nginx`);
  const target = await storage.accel(key, { meta, range: plan.range ?? undefined });
  sendAccel(job.res, accelHeaders(plan, target, job.opts.accel));
  return { ...sized(meta, plan), outcome: 'completed', status: plan.status, delivery: 'accel' };
}

/**
 * Answers `302` to a presigned URL that carries the planned filename and type.
 *
 * @example
 * return redirect(job, plan, meta);
 */
export async function redirect(job: Job, plan: BodyPlan, meta: ObjectMeta): Promise<DeliveryResult> {
  await sendRedirect(job.res, job.target.storage, job.target.key, plan, job.opts.redirectExpiresIn);
  return { ...sized(meta, plan), outcome: 'completed', status: 302, delivery: 'redirect' };
}

/** The body to stream: the one read with the metadata when it holds exactly the planned bytes, else a fresh open. */
async function bodyFor(job: Job, plan: BodyPlan, meta: ObjectMeta, found: Found): Promise<Readable> {
  if (found.early?.body && sameSpan(found.early.range, plan.range, meta.size)) return found.early.body;
  // The read-ahead guessed other bytes than the plan needs (If-Range, a clipped range): drop it
  // and read exactly the planned bytes of the planned version.
  found.early?.body?.destroy();
  return job.target.storage.open(job.target.key, { range: plan.range ?? undefined, ifMatch: meta.etag, signal: job.signal, meta });
}

/**
 * Streams the planned bytes; the head goes out with the first body byte, so a body that fails
 * before it still gets a 502/503 (thrown as a StorageError for the caller's failure()).
 *
 * @example
 * const result = await stream(job, plan, meta, found); // or 'changed': plan again
 */
export async function stream(job: Job, plan: BodyPlan, meta: ObjectMeta, found: Found): Promise<DeliveryResult | 'changed'> {
  let body: Readable;
  try {
    body = await bodyFor(job, plan, meta, found);
  } catch (err) {
    if (isStorageError(err) && err.code === 'changed') return 'changed';
    throw err;
  }
  found.early = null;
  if (job.signal.aborted || job.res.destroyed) {
    // The client left while the storage was opening: that is an abort, not a failure.
    body.destroy();
    return { ...sized(meta, plan), outcome: 'aborted', status: 499 };
  }
  const streamed = await streamBody(body, job.res, plan.length, job.progress, { head: plan, sendTimeoutMs: job.opts.sendTimeoutMs });
  if (!job.res.headersSent && streamed.outcome === 'failed') throw asStorageError(streamed.error);
  return { ...sized(meta, plan), ...streamed, status: job.res.headersSent ? plan.status : 499, delivery: 'stream' };
}
