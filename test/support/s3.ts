// S3 test helpers: config from the env set by test/run.sh, a test S3Client, deterministic (seekable)
// pseudo-random fixtures, uploads, and radosgw kill/restart for fault tests (own Ceph cluster only).
import { execFile } from 'node:child_process';
import { createCipheriv, createHash } from 'node:crypto';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  AbortMultipartUploadCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  type CompletedPart,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { gateClient } from '../../lib/storage/s3-client';
import type { SocketGate } from '../../lib/storage/socket-gate';

export interface S3TestConfig {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  forcePathStyle: boolean;
  bucket: string;
}

/** Reads S3_ENDPOINT, S3_REGION, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY, S3_FORCE_PATH_STYLE, S3_BUCKET. */
export function s3TestConfig(): S3TestConfig {
  const env = process.env;
  const endpoint = env.S3_ENDPOINT;
  if (!endpoint) {
    throw new Error(
      'S3_ENDPOINT is not set: run the tests through `bash test/run.sh [files]` (it starts a throwaway Ceph S3), ' +
        'or set S3_ENDPOINT, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY (and S3_BUCKET, S3_REGION) yourself',
    );
  }
  const accessKeyId = env.S3_ACCESS_KEY_ID ?? env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.S3_SECRET_ACCESS_KEY ?? env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) {
    throw new Error('S3_ACCESS_KEY_ID / S3_SECRET_ACCESS_KEY are not set (test/run.sh sets them for its own Ceph)');
  }
  return {
    endpoint,
    region: env.S3_REGION || 'us-east-1',
    accessKeyId,
    secretAccessKey,
    forcePathStyle: !['false', '0', 'no'].includes((env.S3_FORCE_PATH_STYLE ?? 'true').toLowerCase()),
    bucket: env.S3_BUCKET || 'station-files-test',
  };
}

/**
 * The S3Client settings every test and bench client shares (add a requestHandler as needed).
 *
 * @example
 * const client = new S3Client({ ...s3ClientSettings(), requestHandler });
 */
export function s3ClientSettings(cfg: S3TestConfig = s3TestConfig()): S3ClientConfig {
  return {
    endpoint: cfg.endpoint,
    region: cfg.region,
    credentials: { accessKeyId: cfg.accessKeyId, secretAccessKey: cfg.secretAccessKey },
    forcePathStyle: cfg.forcePathStyle,
    requestChecksumCalculation: 'WHEN_REQUIRED', // else streamed PutObject fails with 411 on Ceph
    responseChecksumValidation: 'WHEN_REQUIRED',
  };
}

/** An S3Client for tests, on a keep-alive agent the test can inspect (agent.sockets / agent.freeSockets). */
export function createTestS3Client(opts: { maxSockets?: number; gated?: boolean } = {}): { client: S3Client; agent: http.Agent; gate?: SocketGate } {
  const cfg = s3TestConfig();
  const agentOpts = { keepAlive: true, maxSockets: opts.maxSockets ?? 50 };
  const agent = cfg.endpoint.startsWith('https:') ? new https.Agent(agentOpts) : new http.Agent(agentOpts);
  const client = new S3Client({
    ...s3ClientSettings(cfg),
    requestHandler: new NodeHttpHandler(agent instanceof https.Agent ? { httpsAgent: agent } : { httpAgent: agent }),
  });
  // `gated`: the socket gate createS3Client puts in front of its clients (requests wait there, not in the agent).
  const gate = opts.gated ? gateClient(client, agentOpts.maxSockets) : undefined;
  return { client, agent, gate };
}

function errorInfo(err: unknown): { name?: unknown; code?: unknown; status?: unknown } {
  if (typeof err !== 'object' || err === null) return {};
  const e = err as { name?: unknown; Code?: unknown; $metadata?: { httpStatusCode?: unknown } };
  return { name: e.name, code: e.Code, status: e.$metadata?.httpStatusCode };
}

/** CreateBucket, tolerating "already exists" (Ceph's error replies have empty messages: match name/Code/status). */
export async function ensureBucket(client: S3Client, bucket: string): Promise<void> {
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (err) {
    const { name, code, status } = errorInfo(err);
    const known = ['BucketAlreadyOwnedByYou', 'BucketAlreadyExists'];
    if (known.includes(String(name)) || known.includes(String(code)) || status === 409) return;
    throw err;
  }
}

// ---- deterministic data: AES-256-CTR keystream keyed by sha256(seed), counter = 16-byte block index ----
// Every 16-byte block differs (AES is a permutation of distinct counters), so a wrong offset is detectable,
// and any range can be computed by starting the counter at start/16 without generating the prefix.

const CHUNK = 256 * 1024;
const ZEROS = Buffer.alloc(CHUNK);

function cipherAt(seed: string, offset: number) {
  const key = createHash('sha256').update(seed).digest();
  const iv = Buffer.alloc(16);
  iv.writeBigUInt64BE(BigInt(Math.floor(offset / 16)), 8);
  const cipher = createCipheriv('aes-256-ctr', key, iv);
  const skip = offset % 16;
  if (skip) cipher.update(ZEROS.subarray(0, skip));
  return cipher;
}

function checkRange(size: number, start: number, end: number): void {
  if (!(Number.isSafeInteger(start) && Number.isSafeInteger(end) && start >= 0 && start <= end + 1 && end < size)) {
    throw new RangeError(`bad range ${start}-${end} for size ${size}`);
  }
}

/** Bytes [start, end] (inclusive) of the deterministic stream, as a stream. */
export function deterministicRangeStream(seed: string, size: number, start: number, end: number): Readable {
  checkRange(size, start, end);
  const cipher = cipherAt(seed, start);
  let remaining = end - start + 1;
  return new Readable({
    highWaterMark: CHUNK,
    read() {
      if (remaining <= 0) {
        this.push(null);
        return;
      }
      const n = Math.min(CHUNK, remaining);
      remaining -= n;
      this.push(cipher.update(ZEROS.subarray(0, n)));
    },
  });
}

/**
 * The bytes of deterministicBytes(seed, size) from `start` on, handed out in order: each call
 * returns the next `n` bytes (for checking a body as it arrives, without recomputing offsets).
 */
export function deterministicReader(seed: string, size: number, start: number): (n: number) => Buffer {
  checkRange(size, start, size - 1);
  const cipher = cipherAt(seed, start);
  return (n) => cipher.update(Buffer.alloc(n));
}

/** `size` pseudo-random bytes determined by `seed`. */
export function deterministicBytes(seed: string, size: number): Readable {
  return deterministicRangeStream(seed, size, 0, size - 1);
}

/** Bytes [start, end] (inclusive) of deterministicBytes(seed, size), computed without the prefix. */
export function deterministicRange(seed: string, size: number, start: number, end: number): Buffer {
  checkRange(size, start, end);
  return cipherAt(seed, start).update(Buffer.alloc(end - start + 1));
}

/** Hex sha256 of bytes [start, end] (inclusive) of deterministicBytes(seed, size), streaming. */
export async function sha256OfRange(seed: string, size: number, start: number, end: number): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of deterministicRangeStream(seed, size, start, end)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Writes deterministicBytes(seed, size) to a local file (disk fixtures). */
export async function writeDeterministicFile(path: string, seed: string, size: number): Promise<void> {
  await pipeline(deterministicBytes(seed, size), createWriteStream(path));
}

const PART_SIZE = 8 * 1024 * 1024;
const MULTIPART_THRESHOLD = 16 * 1024 * 1024;

/** Uploads deterministicBytes(seed, size) (multipart above 16 MiB); returns the ETag as HeadObject reports it. */
export async function putObjectStream(
  client: S3Client,
  bucket: string,
  key: string,
  seed: string,
  size: number,
  contentType = 'application/octet-stream',
): Promise<string> {
  if (size <= MULTIPART_THRESHOLD) {
    const body = size === 0 ? Buffer.alloc(0) : deterministicBytes(seed, size);
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentLength: size, ContentType: contentType }));
  } else {
    const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ContentType: contentType }));
    if (!UploadId) throw new Error(`CreateMultipartUpload for ${key} returned no UploadId`);
    const count = Math.ceil(size / PART_SIZE);
    const parts: CompletedPart[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < count) {
        const i = next++;
        const start = i * PART_SIZE;
        const end = Math.min(size, start + PART_SIZE) - 1;
        const body = deterministicRange(seed, size, start, end);
        const res = await client.send(
          new UploadPartCommand({
            Bucket: bucket,
            Key: key,
            UploadId,
            PartNumber: i + 1,
            Body: body,
            ContentLength: body.length,
          }),
        );
        parts[i] = { PartNumber: i + 1, ETag: res.ETag };
      }
    };
    try {
      await Promise.all([worker(), worker()]); // 2 parts in flight
      await client.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId, MultipartUpload: { Parts: parts } }));
    } catch (err) {
      await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId })).catch(() => {});
      throw err;
    }
  }
  // Ceph's CompleteMultipartUpload reply carries an empty ETag: read it back.
  const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  if (!head.ETag) throw new Error(`HeadObject ${bucket}/${key} returned no ETag`);
  return head.ETag;
}

// ---- radosgw fault injection (only with our own cluster: test/run.sh exports CEPH_DIR) ----

function cephDir(): string {
  const dir = process.env.CEPH_DIR;
  if (!dir) {
    throw new Error(
      'CEPH_DIR is not set: radosgw kill/restart needs the Ceph cluster started by test/run.sh ' + '(not available when S3_ENDPOINT points elsewhere)',
    );
  }
  return dir;
}

const rgwPidFile = (): string => join(cephDir(), 'run', 'client.rgw.a.pid');

function isAlive(pid: number): boolean {
  try {
    return !/^State:\s*Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8')); // a zombie counts as gone
  } catch {
    return false;
  }
}

function rgwPid(): number | undefined {
  const file = rgwPidFile();
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 && isAlive(pid) ? pid : undefined;
}

/** Kills radosgw (SIGKILL by default) and waits until it is gone. Returns its pid (undefined if not running). */
export async function killRadosgw(signal: NodeJS.Signals = 'SIGKILL'): Promise<number | undefined> {
  const pid = rgwPid();
  if (pid === undefined) return undefined;
  process.kill(pid, signal);
  for (let i = 0; isAlive(pid); i++) {
    if (i > 300) throw new Error(`radosgw (pid ${pid}) still alive 30 s after ${signal}`);
    await sleep(100);
  }
  return pid;
}

function httpAnswers(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false, timeout: 1000 }, (res) => {
      res.resume();
      resolve(true);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

/** (Re)starts radosgw (killing a running one first) and waits until the S3 endpoint answers HTTP. */
export async function restartRadosgw(timeoutMs = 30_000): Promise<void> {
  const dir = cephDir();
  await killRadosgw();
  await new Promise<void>((resolve, reject) => {
    execFile('radosgw', ['-c', join(dir, 'ceph.conf'), '-n', 'client.rgw.a'], (err, _out, stderr) =>
      err ? reject(new Error(`radosgw failed to start: ${err.message} ${stderr}`)) : resolve(),
    );
  });
  const { endpoint } = s3TestConfig();
  const deadline = Date.now() + timeoutMs;
  while (!(await httpAnswers(endpoint))) {
    if (Date.now() > deadline) throw new Error(`radosgw not answering at ${endpoint} after ${timeoutMs} ms`);
    await sleep(50);
  }
}
