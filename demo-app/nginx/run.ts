/**
 * `npm run demo:nginx`: the demo panel behind nginx with X-Accel-Redirect delivery. Starts the
 * app (DELIVERY=accel) on PORT (3000) and nginx on NGINX_PORT (8080) with the config that
 * station-files' nginxConfig() generates from the app's own storages (written to
 * DATA_DIR/nginx/nginx.conf, so you can read it). Started as root, nginx's workers run as
 * NGINX_USER (default `nobody nogroup`), never as root unless NGINX_USER=root (see worker-user.ts).
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { nginxConfig } from '../../lib';
import { createDemoApp } from '../app';
import { readConfig } from '../config';
import { DEMO_LOGINS } from '../seed';
import { standaloneNginxConf } from './standalone';
import { grantWorkerAccess, resolveWorkerUser } from './worker-user';

async function main(): Promise<void> {
  const config = readConfig({ ...process.env, DELIVERY: process.env.DELIVERY ?? 'accel' });
  const nginxPort = Number(process.env.NGINX_PORT ?? 8080);
  const nginxBin = process.env.NGINX_BIN ?? '/usr/sbin/nginx';
  const asRoot = process.getuid?.() === 0;
  const worker = asRoot ? resolveWorkerUser(process.env.NGINX_USER) : null;
  const { app, storages, close } = await createDemoApp(config, { log: (l) => console.log(l) });
  if (worker) {
    try {
      grantWorkerAccess(config.dataDir, worker);
    } catch (err) {
      close();
      throw err;
    }
  }
  const server = app.listen(config.port, config.host);
  await new Promise((r) => server.once('listening', r));

  const dir = path.join(config.dataDir, 'nginx');
  const site = await nginxConfig({ listen: `${config.host}:${nginxPort}`, app: `${config.host}:${config.port}`, storages: storages.storages });
  const conf = standaloneNginxConf(dir, site, {
    accessLogFormat: '$remote_addr $request_id "$request" $status $body_bytes_sent "$http_user_agent"',
    ...(worker ? { user: worker.directive } : {}),
  });
  writeFileSync(path.join(dir, 'nginx.conf'), conf);
  const nginx = spawn(nginxBin, ['-c', path.join(dir, 'nginx.conf'), '-p', dir, '-e', path.join(dir, 'error.log'), '-g', 'daemon off;'], { stdio: 'inherit' });
  nginx.on('error', (err) => {
    console.error(`demo:nginx: cannot start ${nginxBin} (${err.message}); install the Debian package nginx`);
    process.exit(1);
  });
  nginx.on('exit', (code) => {
    console.error(`demo:nginx: nginx exited (${code}); see ${dir}/error.log`);
    server.close();
    close();
    process.exit(code ?? 1);
  });
  console.log(`\nstation-files demo panel behind nginx: http://${config.host}:${nginxPort}/  (app on :${config.port}, delivery ${config.delivery})`);
  console.log(`nginx config: ${dir}/nginx.conf${worker ? ` (workers run as ${worker.directive})` : ''}`);
  for (const l of DEMO_LOGINS) console.log(`  ${l.email.padEnd(24)} ${l.password.padEnd(22)} ${l.role}`);
  const stop = (): void => void nginx.kill('SIGQUIT');
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(`demo:nginx: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
