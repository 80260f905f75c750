/**
 * A throwaway PostgreSQL cluster for a test file: under .test-tmp/, on a free port, from Debian's
 * binaries (demo-app/cluster/postgres.ts; a missing server fails naming the package postgresql),
 * stopped by `stop()` and, should the test process die first, on its exit.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { postgresCluster, stopClusterNow, type PostgresCluster } from '../../demo-app/cluster/postgres';
import { freePort } from './nginx';

const TMP = path.resolve(__dirname, '..', '..', '.test-tmp');

export interface TestPostgres extends PostgresCluster {
  /** Stops the server and removes its folder. */
  destroy(): Promise<void>;
}

export async function startTestPostgres(): Promise<TestPostgres> {
  const { mkdir, chmod } = await import('node:fs/promises');
  await mkdir(TMP, { recursive: true });
  const dir = await mkdtemp(path.join(TMP, 'pg-'));
  await chmod(dir, 0o700);
  const cluster = postgresCluster({ dir, port: await freePort(), database: 'panel', fast: true });
  const onExit = (): void => stopClusterNow(dir);
  process.once('exit', onExit);
  await cluster.start();
  return {
    ...cluster,
    url: cluster.url,
    async destroy() {
      await cluster.stop();
      process.off('exit', onExit);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
