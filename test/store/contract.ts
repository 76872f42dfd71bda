/**
 * The Store port's contract, run against every adapter (sqlite.test.ts, postgres.test.ts): the same
 * calls, the same answers, the same guarantees under concurrency. The tests themselves are in
 * contract/: requests and transitions, notices, the audit chain, drift findings and scheduled jobs,
 * the form each request came from, claims on Mimecast work.
 */
import { type TestContext, it as test } from 'vitest';
import type { Store } from '../../src/requests/ports/index.js';
import { auditContract } from './contract/audit.js';
import { claimsContract } from './contract/claims.js';
import { findingsContract } from './contract/findings.js';
import { noticesContract } from './contract/notices.js';
import { requestsContract } from './contract/requests.js';
import { viewsContract } from './contract/views.js';

export { AT, request, submitted } from './contract/fixtures.js';

/** One empty database of the adapter under test. */
export interface TestDb {
  /** A store on this database; several may be open at once, each with its own connections. */
  open(): Promise<Store>;
  /** Runs statements on a connection of its own, outside every store (as someone with database access). */
  exec(sql: string): Promise<void>;
  /** Rows of a query run on a connection of its own. */
  query<T>(sql: string): Promise<T[]>;
  /** Closes the stores it opened and drops the database. */
  close(): Promise<void>;
}

export interface ContractTarget {
  name: string;
  /** A fresh, empty database. */
  database(): Promise<TestDb>;
  /** In this dialect: lets an UPDATE of audit_events past the append-only trigger. */
  bypassAppendOnly: string;
  /** In this dialect: makes every UPDATE of a notice fail with `message`, and undoes it. */
  refuseNoticeUpdates(message: string): { install: string; remove: string };
}

/** What each part of the contract is handed. */
export interface ContractKit {
  target: ContractTarget;
  /** A fresh database and a first store on it, closed and dropped when the test ends. */
  fresh(context: TestContext): Promise<{ db: TestDb; store: Store }>;
  /**
   * Every test has a database of its own, so they run concurrently: a PostgreSQL test mostly waits
   * for the server. Hence `expect` and the clean-up come from each test's own context.
   */
  it: typeof test.concurrent;
}

export function storeContract(target: ContractTarget): void {
  const kit: ContractKit = {
    target,
    async fresh(context) {
      const db = await target.database();
      context.onTestFinished(() => db.close());
      return { db, store: await db.open() };
    },
    it: test.concurrent,
  };
  requestsContract(kit);
  noticesContract(kit);
  auditContract(kit);
  viewsContract(kit);
  findingsContract(kit);
  claimsContract(kit);
}
