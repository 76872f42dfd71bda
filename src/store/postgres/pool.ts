import pg from 'pg';
import { redactDatabaseUrl } from '../../config/database.js';
import type { Logger } from '../../logger.js';

/**
 * Advisory lock keys (the two-integer form): one namespace for this bot, one key per purpose. They
 * are per database, so two bots on one server do not wait for each other.
 */
const LOCK_NAMESPACE = 0x44524254; // "DRBT"
export const LOCKS = {
  /** Held while migrating, so replicas starting together migrate once. */
  migrations: [LOCK_NAMESPACE, 1],
  /** Held from reading the last audit hash to the commit, so the chain stays one line. */
  auditChain: [LOCK_NAMESPACE, 2],
} as const satisfies Record<string, readonly [number, number]>;

export interface PoolOptions {
  /** Holds the password: never logged as it is. */
  url: string;
  /** Connections in this process's pool; 10 by default. */
  poolSize?: number;
  /** Told about connections that fail while idle (the pool replaces them). */
  logger?: Pick<Logger, 'warn'>;
}

export function createPool(options: PoolOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize ?? 10,
    // A database that does not answer fails the call instead of holding it forever.
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
    application_name: 'delegate-bot',
  });
  // Without a listener, an idle connection that the server drops would crash the process.
  pool.on('error', (error) => {
    options.logger?.warn({ err: error }, 'an idle PostgreSQL connection failed; the pool replaces it');
  });
  return pool;
}

/** Says which database could not be opened, with the URL's password left out. */
export function openError(url: string, error: unknown): Error {
  const reason = error instanceof Error ? error.message : String(error);
  return new Error(`Could not open the PostgreSQL database at ${redactDatabaseUrl(url)}: ${reason}`, {
    cause: error,
  });
}

/** A pool or a client in a transaction: what a statement runs on. */
export type Queryable = Pick<pg.PoolClient, 'query'>;

/**
 * Runs `work` in one transaction on one pooled connection: committed if it returns, rolled back if
 * it throws. A connection whose rollback failed is dropped rather than handed to the next caller.
 * READ COMMITTED whatever the server's default: each statement must see what was committed before
 * it began (the audit chain reads its last event only once it holds the lock).
 */
export async function inTransaction<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query('BEGIN ISOLATION LEVEL READ COMMITTED');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {
      broken = true;
    });
    throw error;
  } finally {
    client.release(broken);
  }
}
