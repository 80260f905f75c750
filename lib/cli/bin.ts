#!/usr/bin/env node
/**
 * `station-files nginx --config FILE`: prints the nginx config for the storages a config file
 * describes (see lib/cli/load-config.ts for the accepted files), so the nginx side is generated
 * from the same objects the app uses.
 */
import { ConfigFileError, loadNginxOptions } from './load-config';
import { nginxConfig } from '../delivery/nginx-config';

const USAGE = 'usage: station-files nginx --config FILE   (FILE: .js, .mjs, .cjs or .json exporting { listen, app, storages }; .ts with tsx installed)';

async function main(argv: string[]): Promise<number> {
  const [command, flag, file] = argv;
  if (command !== 'nginx' || flag !== '--config' || !file || argv.length > 3) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  process.stdout.write(await nginxConfig(await loadNginxOptions(file)));
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`station-files: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = err instanceof ConfigFileError ? 2 : 1;
  },
);
