import type { DatabaseConfig } from '../config.js';
import type { Logger } from '../logger.js';
import type { Store } from '../requests/ports/index.js';
import { PostgresStore } from './postgres/store.js';
import { SqliteStore } from './sqlite/store.js';

export interface OpenedStore {
  store: Store;
  /** Resolves once the store can be used (PostgreSQL: connected and migrated); rejects with the reason. */
  ready: Promise<void>;
}

/** The store the settings ask for: PostgreSQL when DATABASE_URL is set, SQLite at DATABASE_PATH otherwise. */
export function createStore(
  database: DatabaseConfig,
  options: { logger?: Pick<Logger, 'warn' | 'info'>; backgroundCheckpoints?: boolean } = {},
): OpenedStore {
  if (database.kind === 'postgres') {
    const store = new PostgresStore({
      url: database.url,
      poolSize: database.poolSize,
      ...(options.logger ? { logger: options.logger } : {}),
    });
    return { store, ready: store.ready };
  }
  const store = new SqliteStore(database.path, {
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.backgroundCheckpoints === false ? { backgroundCheckpoints: false } : {}),
  });
  return { store, ready: Promise.resolve() };
}
