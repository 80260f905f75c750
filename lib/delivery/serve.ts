/**
 * createDelivery: serves one file for one request. It finds the file, plans the response (pure,
 * lib/http), answers what needs no body, then executes the plan with the storage's delivery:
 * stream, nginx hand-off, or redirect. Expected failures become short 4xx/5xx replies; the
 * returned result says what happened.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ResponsePlan } from '../http/plan';
import { OptionsReader } from '../options/reader';
import { StorageError } from '../storage/errors';
import type { ObjectMeta } from '../storage/types';
import { handOff, redirect, stream } from './execute';
import { failure } from './failure';
import { planFor, type Job } from './job';
import { findFile, type Found } from './metadata';
import { sendText } from './respond';
import { DELIVERY_KEYS, readDeliveryOptions } from './response-options';
import type { StreamProgress } from './stream';
import type { Delivery, DeliveryOutcome, DeliveryResult, FileTarget, NormalizedDelivery, ResponseOptions } from './types';

export type { Delivery, DeliveryOutcome, DeliveryResult, FileTarget, NormalizedDelivery, ResponseOptions } from './types';
export { DELIVERY_KEYS, readDeliveryOptions } from './response-options';

const STATUS_OUTCOME: Record<number, DeliveryOutcome> = { 304: 'not-modified', 412: 'precondition-failed', 416: 'range-not-satisfiable' };
const REASONS: Record<number, string> = { 412: 'Precondition Failed', 416: 'Range Not Satisfiable' };
const NOTHING = { delivery: null, bytesSent: null, size: null, range: null } as const;

type BodyPlan = Extract<ResponsePlan, { kind: 'full' | 'partial' }>;

/** Answers a plan that carries no file at all: 304, 412, 416. */
function answerWithoutFile(job: Job, plan: Exclude<ResponsePlan, BodyPlan>, meta: ObjectMeta): DeliveryResult {
  const base = { ...NOTHING, size: meta.size };
  if (plan.kind === 'not-modified') job.res.writeHead(304, plan.headers).end();
  else sendText(job.res, plan.status, REASONS[plan.status] ?? 'Error', plan.headers, job.head);
  return { ...base, outcome: STATUS_OUTCOME[plan.status] ?? 'failed', status: plan.status };
}

/** Answers HEAD: the headers a GET would get, no body, and the storage never read. */
function answerHead(job: Job, plan: BodyPlan, meta: ObjectMeta): DeliveryResult {
  job.res.writeHead(plan.status, plan.headers).end();
  return { ...NOTHING, size: meta.size, outcome: 'completed', status: plan.status, range: plan.range };
}

/** One pass: find, plan, answer. `'changed'` when the file was replaced before its body opened. */
async function attempt(job: Job, first: boolean, found: Found): Promise<DeliveryResult | 'changed'> {
  const mode = job.target.storage.delivery ?? 'stream';
  Object.assign(found, await findFile(job, first && mode === 'stream'));
  if (!found.meta) {
    sendText(job.res, 404, 'Not Found', {}, job.head);
    return { ...NOTHING, outcome: 'not-found', status: 404 };
  }
  const plan = planFor(job, found.meta);
  if (plan.kind !== 'full' && plan.kind !== 'partial') return answerWithoutFile(job, plan, found.meta);
  if (job.head) return answerHead(job, plan, found.meta);
  if (mode === 'accel') return handOff(job, plan, found.meta);
  if (mode === 'redirect') return redirect(job, plan, found.meta);
  return stream(job, plan, found.meta, found);
}

async function serveJob(job: Job): Promise<DeliveryResult> {
  const found: Found = { meta: null, early: null };
  try {
    // An object replaced between planning and opening is planned once more, on the new version.
    const result = await attempt(job, true, found);
    if (result !== 'changed') return result;
    const again = await attempt(job, false, found);
    if (again !== 'changed') return again;
    throw new StorageError('changed', 'the object changed twice during the request');
  } catch (err) {
    return failure(job.res, err, found.meta, job.head, job.signal.aborted);
  } finally {
    found.early?.body?.destroy();
  }
}

/**
 * Creates a file server with validated options. `serve` answers GET and HEAD with full HTTP
 * Range and conditional-request semantics from any storage, in constant memory.
 *
 * @example
 * const delivery = createDelivery({ cacheControl: 'private, max-age=60' });
 * app.get('/files/:name', async (req, res) => {
 *   await delivery.serve(req, res, { storage: media, key: req.params.name, disposition: 'inline' });
 * });
 */
export function createDelivery(options: ResponseOptions = {}): Delivery {
  return deliveryWith(readDeliveryOptions(OptionsReader.of('createDelivery', options, DELIVERY_KEYS)));
}

/**
 * The file server for options already read (createStationFiles and fileHandler read them with
 * their own names in the messages).
 *
 * @example
 * const delivery = deliveryWith(readDeliveryOptions(OptionsReader.of('fileHandler', options, DELIVERY_KEYS)));
 */
export function deliveryWith(opts: NormalizedDelivery): Delivery {
  async function serve(req: IncomingMessage, res: ServerResponse, target: FileTarget, progress?: StreamProgress): Promise<DeliveryResult> {
    const head = req.method === 'HEAD';
    if (req.method !== 'GET' && !head) {
      sendText(res, 405, 'Method Not Allowed', { Allow: 'GET, HEAD' });
      return { ...NOTHING, outcome: 'method-not-allowed', status: 405 };
    }
    const controller = new AbortController();
    const onClose = (): void => {
      if (!res.writableFinished) controller.abort();
    };
    res.once('close', onClose);
    try {
      return await serveJob({ req, res, target, opts, head, signal: controller.signal, progress });
    } finally {
      res.off('close', onClose);
    }
  }
  return { serve };
}
