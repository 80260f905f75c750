#!/usr/bin/env node
/**
 * `station-files nginx --config FILE`: prints the nginx config for the storages a config module
 * exports (`module.exports = { listen, app, storages }`, or a function returning that), so the
 * nginx side is generated from the same objects the app uses.
 */
import path from 'node:path';
import { nginxConfig, type NginxConfigOptions } from './delivery/nginx-config';

const USAGE = 'usage: station-files nginx --config FILE   (FILE exports { listen, app, storages })';

async function main(argv: string[]): Promise<number> {
  const [command, flag, file] = argv;
  if (command !== 'nginx' || flag !== '--config' || !file) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const loaded: unknown = await import(path.resolve(file));
  let options = (loaded as { default?: unknown }).default ?? loaded;
  if (typeof (options as { default?: unknown }).default === 'object') options = (options as { default: unknown }).default;
  if (typeof options === 'function') options = await (options as () => unknown)();
  process.stdout.write(await nginxConfig(options as NginxConfigOptions));
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`station-files: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
