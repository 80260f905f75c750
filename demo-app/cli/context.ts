/**
 * What commands run against: the configuration (from the environment), the panel database at
 * DATA_DIR/panel.db (opened on first use, so usage errors never create it) and the storages
 * (loaded on first use: only `import` pays for loading the S3 SDK and building a client).
 */
import path from 'node:path';
import { readConfig, type DemoConfig } from '../config';
import { prepareDataDir } from '../data-dir';
import { openDatabase, type Db, type Station, type UserWithHash } from '../db/database';
import type * as StorageModule from '../storage';
import type { DemoStorages } from '../storage';
import { failure, oneLine } from './errors';

export interface Context {
  readonly config: DemoConfig;
  readonly db: Db;
  storages(): Promise<DemoStorages>;
  /** A diagnostic line on stderr (never stdout, which --json keeps for the result). */
  log(line: string): void;
  /** The station by numeric id or shortcode; a failure (exit 1) naming the known ones if missing. */
  station(ref: string): Station;
  /** The user by email; a failure (exit 1) if missing. */
  user(email: string): UserWithHash;
  close(): void;
}

export const databaseFile = (config: DemoConfig): string => path.join(config.dataDir, 'panel.db');

export function createContext(env: NodeJS.ProcessEnv = process.env): Context {
  let config: DemoConfig | undefined;
  let db: Db | undefined;
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
  const getDb = (): Db => {
    if (!db) {
      const file = databaseFile(getConfig());
      try {
        prepareDataDir(path.dirname(file));
        db = openDatabase(file);
      } catch (err) {
        throw failure(`cannot open the database ${file}: ${oneLine(err)}`);
      }
    }
    return db;
  };

  return {
    get config() {
      return getConfig();
    },
    get db() {
      return getDb();
    },
    async storages() {
      if (!storages) {
        // Loaded here, not at the top: it pulls in the S3 SDK, which only `import` needs.
        const { createDemoStorages } = require('../storage') as typeof StorageModule;
        storages = createDemoStorages(getConfig());
      }
      return storages;
    },
    log: (line) => void process.stderr.write(`${line}\n`),
    station(ref) {
      const found = getDb().station(ref);
      if (found) return found;
      const known = getDb().stations().map((s) => `${s.id} (${s.shortcode})`).join(', ');
      throw failure(`unknown station "${ref}"${known ? ` (known: ${known})` : ' (the database has no stations yet)'}`);
    },
    user(email) {
      const found = getDb().userByEmail(email.trim());
      if (!found) throw failure(`unknown user "${email}" (no user with that email)`);
      return found;
    },
    close() {
      storages?.close();
      db?.close();
    },
  };
}
