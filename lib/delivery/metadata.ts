/**
 * The first step of serving: the file's metadata, from `stat`, or, for stream delivery from a
 * storage with `read()`, together with the body the request most likely needs (one S3 request
 * instead of two for a plain GET or a one-range GET).
 */
import { readAhead } from '../http/read-ahead';
import type { ByteRange, ObjectMeta, ReadResult } from '../storage/types';
import type { Job } from './job';

/** Metadata, and a body read with it (to be used or destroyed by the caller). */
export interface Found {
  meta: ObjectMeta | null;
  early: ReadResult | null;
}

/**
 * Reads the metadata; `readBody` allows the one-request read-ahead (first attempt, stream delivery).
 *
 * @example
 * const { meta, early } = await findFile(job, true);
 */
export async function findFile(job: Job, readBody: boolean): Promise<Found> {
  const { storage, key } = job.target;
  const ahead = readBody && storage.read ? readAhead(job.req.method, job.req.headers) : null;
  if (ahead && storage.read) {
    const read = await storage.read(key, { range: ahead.range, signal: job.signal });
    return { meta: read?.meta ?? null, early: read?.body ? read : null };
  }
  return { meta: await storage.stat(key, job.signal), early: null };
}

/**
 * True when a body of `have` (null: whole object) carries exactly the planned bytes (`want`, null: whole).
 *
 * @example
 * sameSpan({ start: 0, end: 1 }, { start: 0, end: 1 }, 100) // true
 */
export function sameSpan(have: ByteRange | null, want: ByteRange | null, size: number): boolean {
  const a = have ?? { start: 0, end: size - 1 };
  const b = want ?? { start: 0, end: size - 1 };
  return a.start === b.start && a.end === b.end;
}
