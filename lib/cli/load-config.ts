/**
 * Loads the options file of `station-files nginx --config FILE`: a JavaScript module (`.js`,
 * `.mjs`, `.cjs`) exporting `{ listen, app, storages }` (or a function returning it), a
 * TypeScript module when the host project has `tsx`, or a JSON file that describes the storages
 * declaratively.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { NginxConfigOptions } from '../delivery/nginx-options';
import { localStorage } from '../storage/local';
import type { Storage } from '../storage/types';

/** A usage problem: the command exits 2 with this message. */
export class ConfigFileError extends Error {
  override name = 'ConfigFileError';
}

const MODULE = new Set(['.js', '.mjs', '.cjs']);
const TYPESCRIPT = new Set(['.ts', '.mts', '.cts']);
const JSON_KEYS = new Set(['listen', 'app', 'serverName', 's3TrustedCertificate', 'realIpFrom', 'clientMaxBodySize', 'nextUpstream', 'storages']);

type JsonObject = Record<string, unknown>;
const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Loads a TypeScript module with tsx from the host project (next to the config file), or says how to get it. */
function requireTypeScript(file: string): unknown {
  const requireHere = createRequire(file);
  let api: { register: () => unknown };
  try {
    api = requireHere('tsx/cjs/api') as { register: () => unknown };
  } catch {
    throw new ConfigFileError(`${file}: a TypeScript config needs tsx in your project (npm i -D tsx), or use .js, .mjs, .cjs or .json`);
  }
  api.register();
  return requireHere(file);
}

async function fromModule(file: string, typescript: boolean): Promise<unknown> {
  const loaded = (typescript ? requireTypeScript(file) : await import(pathToFileURL(file).href)) as { default?: unknown };
  let options: unknown = loaded.default ?? loaded;
  // A CommonJS module compiled from `export default` arrives as { default: { default: … } }.
  if (isObject(options) && isObject(options.default)) options = options.default;
  return typeof options === 'function' ? await (options as () => unknown)() : options;
}

/** One storage of a JSON config: `{ "type": "local", "root", "accelPrefix" }` or `{ "type": "s3", "bucket", "endpoint", "accelLocation", … }`. */
async function jsonStorage(name: string, spec: unknown): Promise<Storage> {
  if (!isObject(spec)) throw new ConfigFileError(`storages.${name} must be an object`);
  if (spec.type === 'local') {
    return localStorage({ root: String(spec.root), accelPrefix: spec.accelPrefix === undefined ? undefined : String(spec.accelPrefix) });
  }
  if (spec.type === 's3') {
    // Loaded only for S3 configs, so a local-only install needs no AWS SDK.
    const { createS3Client, s3Storage } = require('../entry/s3') as typeof import('../entry/s3');
    const client = createS3Client({
      endpoint: spec.endpoint === undefined ? undefined : String(spec.endpoint),
      region: spec.region === undefined ? undefined : String(spec.region),
      forcePathStyle: spec.forcePathStyle === true,
    });
    return s3Storage({
      client,
      bucket: String(spec.bucket),
      prefix: spec.prefix === undefined ? undefined : String(spec.prefix),
      ...(spec.accelLocation === undefined ? {} : { accel: { location: String(spec.accelLocation) } }),
    });
  }
  throw new ConfigFileError(`storages.${name}.type must be "local" or "s3"`);
}

async function fromJson(file: string): Promise<NginxConfigOptions> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new ConfigFileError(`${file}: not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  if (!isObject(parsed) || !isObject(parsed.storages)) throw new ConfigFileError(`${file}: expected { "listen", "app", "storages": { … } }`);
  const unknown = Object.keys(parsed).find((k) => !JSON_KEYS.has(k));
  if (unknown !== undefined) throw new ConfigFileError(`${file}: unknown key "${unknown}"`);
  const storages: Record<string, Storage> = {};
  for (const [name, spec] of Object.entries(parsed.storages)) storages[name] = await jsonStorage(name, spec);
  return { ...(parsed as unknown as NginxConfigOptions), storages };
}

/**
 * Loads the options for nginxConfig() from `file`, by its extension.
 *
 * @example
 * const options = await loadNginxOptions('./nginx-options.json');
 * process.stdout.write(await nginxConfig(options));
 */
export async function loadNginxOptions(file: string): Promise<NginxConfigOptions> {
  const absolute = path.resolve(file);
  const ext = path.extname(absolute).toLowerCase();
  if (ext === '.json') return fromJson(absolute);
  const typescript = TYPESCRIPT.has(ext);
  if (!typescript && !MODULE.has(ext)) throw new ConfigFileError(`${file}: use a .js, .mjs, .cjs or .json file (or .ts with tsx installed)`);
  return (await fromModule(absolute, typescript)) as NginxConfigOptions;
}
