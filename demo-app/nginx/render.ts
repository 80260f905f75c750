/** Renders demo-app/nginx/station-files.conf with concrete addresses (used by the demo and the tests). */
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** Values for the config's placeholders. */
export interface NginxConfigValues {
  listen: string;
  app: string;
  mediaRoot: string;
  s3: string;
}

/**
 * Reads the shipped config and fills its placeholders; throws on a value that could break out
 * of the nginx directive it lands in.
 *
 * @example
 * renderNginxConfig({ listen: '127.0.0.1:8080', app: '127.0.0.1:3000', mediaRoot: '/srv/media', s3: '127.0.0.1:7480' });
 */
export function renderNginxConfig(values: NginxConfigValues): string {
  for (const [name, value] of Object.entries(values)) {
    if (!/^[\w./:\[\]-]+$/.test(value)) throw new TypeError(`renderNginxConfig: unsafe ${name}: ${value}`);
  }
  const template = readFileSync(path.join(__dirname, 'station-files.conf'), 'utf8');
  return template
    .replaceAll('{{LISTEN}}', values.listen)
    .replaceAll('{{APP}}', values.app)
    .replaceAll('{{MEDIA_ROOT}}', values.mediaRoot.replace(/\/+$/, ''))
    .replaceAll('{{S3}}', values.s3);
}
