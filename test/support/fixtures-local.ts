// Shared fixtures for unit tests over a real local directory: a throwaway temp dir and stream helpers.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';

export interface TempDir {
  /** Absolute path of the directory (under os.tmpdir()). */
  dir: string;
  /** Removes the directory and everything in it. */
  cleanup(): Promise<void>;
}

/** Creates an empty directory under os.tmpdir(). */
export async function makeTempDir(prefix = 'station-files-unit-'): Promise<TempDir> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Reads a stream to the end into one Buffer (rejects on stream error). */
export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks);
}
