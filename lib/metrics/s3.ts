/**
 * Timing and classifying the S3 requests of an S3Client, through its middleware stack: every
 * command (retries included) is one latency observation, and a failure is counted under one of a
 * few fixed types. Nothing here loads the AWS SDK: the client is the host's.
 */

/** The bounded `type` label of an S3 failure. */
export type S3ErrorType = 'not-found' | 'precondition-failed' | 'throttled' | 'timeout' | 'network' | 'aborted' | 'server' | 'client' | 'other';

/** The bounded `operation` label: the commands a storage sends, else `other`. */
export type S3Operation = 'GetObject' | 'HeadObject' | 'other';

type Handler = (args: unknown) => Promise<unknown>;
type Middleware = (next: Handler, context: { commandName?: string }) => Handler;

type AddMiddleware = (middleware: Middleware, options: { step: 'initialize'; name: string; override?: boolean }) => void;

/** The part of an S3Client (any Smithy client) that {@link observeS3Requests} uses: its middleware stack. */
export interface MiddlewareHost {
  middlewareStack: { add: (...args: never[]) => unknown };
}

const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * The type of an S3 failure, from the SDK error's name, HTTP status or system code.
 *
 * @example
 * s3ErrorType(Object.assign(new Error('x'), { name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } })) // 'not-found'
 */
export function s3ErrorType(err: unknown): S3ErrorType {
  const e = (typeof err === 'object' && err !== null ? err : {}) as { name?: unknown; code?: unknown; $metadata?: { httpStatusCode?: unknown } };
  const status = typeof e.$metadata?.httpStatusCode === 'number' ? e.$metadata.httpStatusCode : 0;
  if (e.name === 'AbortError') return 'aborted';
  if (status === 404 || e.name === 'NoSuchKey' || e.name === 'NotFound') return 'not-found';
  if (status === 412 || status === 304 || e.name === 'PreconditionFailed') return 'precondition-failed';
  if (status === 429 || status === 503 || e.name === 'SlowDown' || e.name === 'ThrottlingException') return 'throttled';
  if (e.name === 'TimeoutError' || e.code === 'ETIMEDOUT' || e.name === 'RequestTimeout') return 'timeout';
  if (typeof e.code === 'string' && NETWORK.has(e.code)) return 'network';
  if (status >= 500) return 'server';
  if (status >= 400) return 'client';
  return 'other';
}

const operationOf = (commandName: string | undefined): S3Operation => {
  const name = (commandName ?? '').replace(/Command$/, '');
  return name === 'GetObject' || name === 'HeadObject' ? name : 'other';
};

/** What a timed request reports. */
export type S3Observer = (operation: S3Operation, seconds: number, error: S3ErrorType | null) => void;

const observed = new WeakMap<object, S3Observer>();

/**
 * Adds the timing middleware to `client` once (a second call replaces the observer); returns the client.
 *
 * @example
 * observeS3Requests(client, (op, seconds, error) => histogram.observe({ operation: op }, seconds));
 */
export function observeS3Requests<C extends MiddlewareHost>(client: C, observer: S3Observer): C {
  const again = observed.has(client);
  observed.set(client, observer);
  if (again) return client;
  const middleware: Middleware = (next, context) => async (args) => {
    const started = process.hrtime.bigint();
    const seconds = (): number => Number(process.hrtime.bigint() - started) / 1e9;
    const report = observed.get(client);
    try {
      const out = await next(args);
      report?.(operationOf(context.commandName), seconds(), null);
      return out;
    } catch (err) {
      report?.(operationOf(context.commandName), seconds(), s3ErrorType(err));
      throw err;
    }
  };
  (client.middlewareStack as unknown as { add: AddMiddleware }).add(middleware, { step: 'initialize', name: 'stationFilesMetrics', override: true });
  return client;
}
