import { type Env, type IntegerReader, type Problem, read, readInteger } from './env.js';

/** SQLite at a file (one process), or PostgreSQL at a URL (one or several replicas). */
export type DatabaseConfig =
  | { readonly kind: 'sqlite'; readonly path: string }
  | {
      readonly kind: 'postgres';
      /** Holds the password: never log it; `redactDatabaseUrl` gives a version safe to show. */
      readonly url: string;
      /** Connections in this process's pool. */
      readonly poolSize: number;
    };

export const DEFAULT_DATABASE_PATH = './data/delegate-bot.sqlite';

/** The database settings alone, for tools that need nothing else (the audit CLI). */
export function loadDatabaseConfig(
  env: Env,
): { ok: true; database: DatabaseConfig } | { ok: false; problems: string[] } {
  const problems: string[] = [];
  const problem: Problem = (name, text) => problems.push(`${name}: ${text}`);
  const database = readDatabase(env, problem, (name, fallback, min, max) =>
    readInteger(env, problem, name, fallback, min, max),
  );
  return problems.length > 0 ? { ok: false, problems } : { ok: true, database };
}

/** DATABASE_URL (PostgreSQL) or DATABASE_PATH (SQLite), and the pool size. */
export function readDatabase(env: Env, problem: Problem, integer: IntegerReader): DatabaseConfig {
  const url = read(env, 'DATABASE_URL');
  const path = read(env, 'DATABASE_PATH');
  const poolSize = integer('DATABASE_POOL_SIZE', 10, 1, 100);
  if (url === undefined) return { kind: 'sqlite', path: path ?? DEFAULT_DATABASE_PATH };
  // The value itself is never echoed: it may hold a password.
  if (!isPostgresUrl(url)) {
    problem(
      'DATABASE_URL',
      'must be a PostgreSQL URL like postgres://user:password@host:5432/dbname (leave it unset for SQLite at DATABASE_PATH)',
    );
  }
  if (path !== undefined) {
    problem(
      'DATABASE_URL, DATABASE_PATH',
      'set one, not both: DATABASE_URL for PostgreSQL, or DATABASE_PATH for a SQLite file',
    );
  }
  return { kind: 'postgres', url, poolSize };
}

function isPostgresUrl(text: string): boolean {
  if (!/^postgres(ql)?:\/\//i.test(text)) return false;
  try {
    new URL(text);
    return true;
  } catch {
    return false;
  }
}

/** The URL with its password (and any password in its query) replaced by ***, for logs and /delegate health. */
export function redactDatabaseUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return '(not shown: not a valid URL)';
  }
  if (url.password) url.password = '***';
  for (const key of [...url.searchParams.keys()]) {
    if (/pass/i.test(key)) url.searchParams.set(key, '***');
  }
  return url.toString();
}
