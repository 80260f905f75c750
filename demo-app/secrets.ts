/** Session and signed-link secrets: from the environment, else generated once and kept in DATA_DIR. */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { FILE_MODE, restrictFile } from './data-dir';

export interface Secrets {
  session: string;
  link: string;
}

export function loadSecrets(dataDir: string, env: { session: string | null; link: string | null }): Secrets {
  const file = path.join(dataDir, 'secrets.json');
  let kept: Partial<Secrets> = {};
  if (existsSync(file)) kept = JSON.parse(readFileSync(file, 'utf8')) as Partial<Secrets>;
  const secrets: Secrets = {
    session: env.session ?? kept.session ?? randomBytes(32).toString('base64url'),
    link: env.link ?? kept.link ?? randomBytes(48).toString('base64url'),
  };
  if (!existsSync(file)) writeFileSync(file, JSON.stringify({ session: secrets.session, link: secrets.link }), { mode: FILE_MODE });
  restrictFile(file); // 0600 also when an older version or a copy left it wider
  return secrets;
}
