/**
 * One request being served: the request, the response, the file, the options, and the abort
 * signal that fires when the client goes away. Every step of serve() takes one.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { planResponse, type ResponsePlan } from '../http/plan';
import type { ObjectMeta } from '../storage/types';
import type { StreamProgress } from './stream';
import type { FileTarget, NormalizedDelivery } from './types';

export interface Job {
  req: IncomingMessage;
  res: ServerResponse;
  target: FileTarget;
  opts: NormalizedDelivery;
  head: boolean;
  signal: AbortSignal;
  progress?: StreamProgress;
}

/**
 * The plan for this request and this version of the file (pure; lib/http).
 *
 * @example
 * const p = planFor(job, meta); // { kind: 'partial', status: 206, headers, range, length }
 */
export function planFor(job: Job, meta: ObjectMeta): ResponsePlan {
  const { req, target, opts } = job;
  return planResponse({ method: req.method ?? 'GET', headers: req.headers }, meta, {
    filename: target.filename ?? target.key.slice(target.key.lastIndexOf('/') + 1),
    contentType: target.contentType,
    disposition: target.disposition ?? 'attachment',
    cacheControl: opts.cacheControl,
    maxRanges: opts.maxRanges,
  });
}
