/**
 * What commands run against: the configuration (from the environment), the panel database
 * (DATA_DIR/panel.db, or PostgreSQL at DATABASE_URL; opened on first use, so usage errors never
 * create it) and the storages (loaded on first use: only `import` pays for loading the S3 SDK
 * and building a client).
 */
import { readConfig, type DemoConfig } from '../config';
import { prepareDataDir } from '../data-dir';
import { describeDatabase, openDatabase, type Db, type Station, type UserWithHash } from '../db/database';
import type * as StorageModule from '../storage';
import type { DemoStorages } from '../storage';
import { failure, oneLine } from './errors';

export interface Context {
  readonly config: DemoConfig;
  /** The database, opened (and migrated) on first use; a failure (exit 1) naming it when it cannot be opened. */
  db(): Promise<Db>;
  storages(): Promise<DemoStorages>;
  /** A diagnostic line on stderr (never stdout, which --json keeps for the result). */
  log(line: string): void;
  /** The station by numeric id or shortcode; a failure (exit 1) naming the known ones if missing. */
  station(ref: string): Promise<Station>;
  /** The user by email; a failure (exit 1) if missing. */
  user(email: string): Promise<UserWithHash>;
  close(): Promise<void>;
}

export function createContext(env: NodeJS.ProcessEnv = process.env): Context {
  let config: DemoConfig | undefined;
  let db: Promise<Db> | undefined;
  let storages: DemoStorages | undefined;

  const getConfig = (): DemoConfig => {
    if (!config) {
      try {
        config = readConfig(env);
      } catch (err) {
        throw failure(`configuration: ${oneLine(err)}`);
      }
    }
    return config;
  };
  const open = async (): Promise<Db> => {
    const config = getConfig();
    try {
      prepareDataDir(config.dataDir);
      return await openDatabase(config);
    } catch (err) {
      throw failure(`cannot open the database ${describeDatabase(config)}: ${oneLine(err)}`);
    }
  };
  const getDb = (): Promise<Db> => {
    db ??= open();
    return db;
  };

  return {
    get config() {
      return getConfig();
    },
    db: getDb,
    async storages() {
      if (!storages) {
        // Loaded here, not at the top: it pulls in the S3 SDK, which only `import` needs.
        const { createDemoStorages } = require('../storage') as typeof StorageModule;
        storages = createDemoStorages(getConfig());
      }
      return storages;
    },
    log: (line) => void process.stderr.write(`${line}\n`),
    async station(ref) {
      const found = await (await getDb()).station(ref);
      if (found) return found;
      const known = (await (await getDb()).stations()).map((s) => `${s.id} (${s.shortcode})`).join(', ');
      throw failure(`unknown station "${ref}"${known ? ` (known: ${known})` : ' (the database has no stations yet)'}`);
    },
    async user(email) {
      const found = await (await getDb()).userByEmail(email.trim());
      if (!found) throw failure(`unknown user "${email}" (no user with that email)`);
      return found;
    },
    async close() {
      storages?.close();
      const opened = await db?.catch(() => undefined);
      await opened?.close();
    },
  };
}
