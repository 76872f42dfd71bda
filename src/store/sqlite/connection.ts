import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { migrate } from './migrations.js';

/** A statement prepared once and reused: preparing is most of the cost of a small query. */
export type Sql = <P extends unknown[] | object = unknown[], R = unknown>(
  text: string,
) => Database.Statement<P, R>;

/** The open database and its prepared statements, which every part of the SQLite store shares. */
export interface Connection {
  readonly db: Database.Database;
  readonly sql: Sql;
}

/** Opens (or creates) the file in WAL mode and migrates it; ':memory:' for a database in memory. */
export function openConnection(path: string): Connection {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db);
  const statements = new Map<string, Database.Statement>();
  const sql = (<P extends unknown[] | object = unknown[], R = unknown>(text: string) => {
    let statement = statements.get(text);
    if (!statement) {
      statement = db.prepare(text);
      statements.set(text, statement);
    }
    return statement as unknown as Database.Statement<P, R>;
  }) as Sql;
  return { db, sql };
}
