import { describe, expect, it } from 'vitest';
import {
  describeConfig,
  formatConfigProblems,
  loadConfig,
  loadDatabaseConfig,
  parseDuration,
} from '../../src/config.js';
import { validEnv } from '../support/env.js';

describe('loadConfig', () => {
  it('accepts a complete environment and freezes the result', () => {
    const result = loadConfig(validEnv());
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.mimecast).toEqual({
      baseUrl: 'http://127.0.0.1:4010',
      timeoutMs: 10_000,
      auth: {
        kind: 'hmac',
        appId: 'test-app-id',
        appKey: 'test-app-key',
        accessKey: 'test-access-key',
        secretKey: 'U2VjcmV0S2V5',
      },
    });
    expect(result.config.access.requesterGroupIds).toEqual(['SREQUESTERS']);
    expect(result.config.lifecycle.durationChoicesHours).toEqual([24, 168, 720]);
    expect(result.config.logLevel).toBe('info');
    expect(Object.isFrozen(result.config.mimecast.auth)).toBe(true);
  });

  it('resolves a region name and defaults API 2.0 to the global gateway', () => {
    const hmac = loadConfig(validEnv({ MIMECAST_BASE_URL: 'eu' }));
    expect(hmac.ok && hmac.config.mimecast.baseUrl).toBe('https://eu-api.mimecast.com');
    const oauth = loadConfig(
      validEnv({
        MIMECAST_BASE_URL: undefined,
        MIMECAST_APP_ID: undefined,
        MIMECAST_APP_KEY: undefined,
        MIMECAST_ACCESS_KEY: undefined,
        MIMECAST_SECRET_KEY: undefined,
        MIMECAST_CLIENT_ID: 'client-id',
        MIMECAST_CLIENT_SECRET: 'client-secret-value',
      }),
    );
    expect(oauth.ok && oauth.config.mimecast).toEqual({
      baseUrl: 'https://api.services.mimecast.com',
      timeoutMs: 10_000,
      auth: { kind: 'oauth', clientId: 'client-id', clientSecret: 'client-secret-value' },
    });
  });

  it('reports every problem at once, by variable name, without echoing secrets', () => {
    const result = loadConfig(
      validEnv({
        SLACK_BOT_TOKEN: 'not-a-bot-token-SECRET1',
        SLACK_SIGNING_SECRET: undefined,
        REQUESTER_GROUP_IDS: 'requesters',
        APPROVAL_CHANNEL_ID: undefined,
        MIMECAST_SECRET_KEY: 'not base64 SECRET2!',
        MIMECAST_TIMEOUT_MS: 'soon',
        LOG_LEVEL: 'loud',
        MIMECAST_BASE_URL: 'http://mimecast.example.com',
      }),
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const names = result.problems.map((problem) => problem.split(':')[0]);
    expect(names).toEqual(
      expect.arrayContaining([
        'SLACK_BOT_TOKEN',
        'SLACK_SIGNING_SECRET',
        'REQUESTER_GROUP_IDS',
        'APPROVAL_CHANNEL_ID',
        'MIMECAST_SECRET_KEY',
        'MIMECAST_TIMEOUT_MS',
        'LOG_LEVEL',
        'MIMECAST_BASE_URL',
      ]),
    );
    expect(result.problems).toHaveLength(8);
    const message = formatConfigProblems(result.problems);
    expect(message).toContain('Configuration is invalid (8 problems)');
    expect(message).not.toContain('SECRET1');
    expect(message).not.toContain('SECRET2');
  });

  it('never prints a bad MIMECAST_BASE_URL back, so no part of a password in it reaches the log', () => {
    const cases: Array<[string, string]> = [
      ['http://api:S3cretPw@mimecast.example.com', 'must not contain a user name or password'],
      ['https://api:S3cretPw@eu-api.mimecast.com', 'must not contain a user name or password'],
      ['https://:S3cretPw@eu-api.mimecast.com?x=1', 'must not contain a user name or password'],
      ['http://mimecast.example.com/S3cretPw', 'must use https (plain http is allowed only on loopback)'],
      ['https://eu-api.mimecast.com/?token=S3cretPw', 'must not have a query or fragment'],
      ['api:S3cretPw@eu-api', 'must use https (plain http is allowed only on loopback)'],
      ['S3cretPw eu', 'is neither a region (eu, de, us, usb, ca, za, au, je, uspcom) nor a URL'],
    ];
    for (const [value, said] of cases) {
      const result = loadConfig(validEnv({ MIMECAST_BASE_URL: value }));
      expect(result.ok, value).toBe(false);
      if (result.ok) continue;
      expect(result.problems, value).toEqual([`MIMECAST_BASE_URL: ${said}`]);
      const message = formatConfigProblems(result.problems);
      for (const part of ['S3cretPw', 'S3cret', 'cretPw', 'api:']) expect(message, value).not.toContain(part);
    }
  });

  it('names the missing half of an incomplete credential set', () => {
    const result = loadConfig(validEnv({ MIMECAST_ACCESS_KEY: undefined, MIMECAST_SECRET_KEY: '' }));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toEqual([
      'MIMECAST_ACCESS_KEY, MIMECAST_SECRET_KEY: missing: the API 1.0 keys are incomplete (all four are needed)',
    ]);
  });

  it('refuses both credential sets at once, and none', () => {
    const both = loadConfig(validEnv({ MIMECAST_CLIENT_ID: 'a', MIMECAST_CLIENT_SECRET: 'b' }));
    expect(!both.ok && both.problems[0]).toMatch(/^MIMECAST_\*: set either/);
    const none = loadConfig(
      validEnv({
        MIMECAST_APP_ID: undefined,
        MIMECAST_APP_KEY: undefined,
        MIMECAST_ACCESS_KEY: undefined,
        MIMECAST_SECRET_KEY: undefined,
      }),
    );
    expect(!none.ok && none.problems[0]).toMatch(/^MIMECAST_\*: no Mimecast credentials/);
  });

  it('needs an app token in Socket Mode only', () => {
    const socket = loadConfig(validEnv({ SLACK_MODE: undefined }));
    expect(!socket.ok && socket.problems).toEqual([
      'SLACK_APP_TOKEN: is required in Socket Mode: an app-level token starting with xapp-',
    ]);
    expect(loadConfig(validEnv({ SLACK_MODE: 'socket', SLACK_APP_TOKEN: 'xapp-1-abc' })).ok).toBe(true);
  });

  it('offers permanent access only when allowed', () => {
    const refused = loadConfig(validEnv({ ACCESS_DURATIONS: '1d,permanent' }));
    expect(!refused.ok && refused.problems).toEqual([
      'ACCESS_DURATIONS: "permanent" is offered only when ALLOW_PERMANENT=true',
    ]);
    const allowed = loadConfig(
      validEnv({ ACCESS_DURATIONS: '12h,1d', ALLOW_PERMANENT: 'true', DEFAULT_ACCESS_DURATION: '1d' }),
    );
    expect(allowed.ok && allowed.config.lifecycle).toMatchObject({
      durationChoicesHours: [12, 24, 0],
      defaultDurationHours: 24,
    });
  });

  it('bounds an orderly stop by SHUTDOWN_TIMEOUT_SECONDS (25 s by default)', () => {
    const byDefault = loadConfig(validEnv());
    expect(byDefault.ok && byDefault.config.lifecycle.shutdownTimeoutMs).toBe(25_000);
    const set = loadConfig(validEnv({ SHUTDOWN_TIMEOUT_SECONDS: '50' }));
    expect(set.ok && set.config.lifecycle.shutdownTimeoutMs).toBe(50_000);
    for (const bad of ['0', '601', 'soon']) {
      const refused = loadConfig(validEnv({ SHUTDOWN_TIMEOUT_SECONDS: bad }));
      expect(refused.ok ? [] : refused.problems).toEqual([
        `SHUTDOWN_TIMEOUT_SECONDS: must be a whole number from 1 to 600 (got "${bad}")`,
      ]);
    }
  });

  it('parses durations', () => {
    expect(parseDuration('7d')).toBe(168);
    expect(parseDuration('12H')).toBe(12);
    expect(parseDuration('permanent')).toBe(0);
    expect(parseDuration('0d')).toBeUndefined();
    expect(parseDuration('week')).toBeUndefined();
  });

  it('checks grants against Mimecast every RECONCILE_INTERVAL_HOURS (24 by default; 0 turns it off)', () => {
    const byDefault = loadConfig(validEnv());
    expect(byDefault.ok && byDefault.config.lifecycle.reconcileIntervalHours).toBe(24);
    expect(byDefault.ok && describeConfig(byDefault.config)).toMatchObject({ reconcileIntervalHours: 24 });
    const off = loadConfig(validEnv({ RECONCILE_INTERVAL_HOURS: '0' }));
    expect(off.ok && off.config.lifecycle.reconcileIntervalHours).toBe(0);
    expect(off.ok && describeConfig(off.config)).toMatchObject({ reconcileIntervalHours: 'off' });
    const hourly = loadConfig(validEnv({ RECONCILE_INTERVAL_HOURS: ' 1 ' }));
    expect(hourly.ok && hourly.config.lifecycle.reconcileIntervalHours).toBe(1);
    for (const bad of ['-1', '1.5', 'daily', '721']) {
      const result = loadConfig(validEnv({ RECONCILE_INTERVAL_HOURS: bad }));
      expect(result).toEqual({
        ok: false,
        problems: [`RECONCILE_INTERVAL_HOURS: must be a whole number from 0 to 720 (got "${bad}")`],
      });
    }
  });

  it('selects SQLite at DATABASE_PATH, or its default when nothing is set', () => {
    const path = loadConfig(validEnv({ DATABASE_PATH: '/var/lib/bot/bot.sqlite' }));
    expect(path.ok && path.config.database).toEqual({ kind: 'sqlite', path: '/var/lib/bot/bot.sqlite' });
    const none = loadConfig(validEnv({ DATABASE_PATH: undefined }));
    expect(none.ok && none.config.database).toEqual({ kind: 'sqlite', path: './data/delegate-bot.sqlite' });
    expect(none.ok && describeConfig(none.config)).toMatchObject({
      databasePath: './data/delegate-bot.sqlite',
    });
  });

  it('selects PostgreSQL with DATABASE_URL, with a pool of DATABASE_POOL_SIZE (10 by default)', () => {
    const url = 'postgres://bot:pa55word@db.example.com:5432/delegate?sslmode=require';
    const result = loadConfig(validEnv({ DATABASE_PATH: undefined, DATABASE_URL: url }));
    expect(result.ok && result.config.database).toEqual({ kind: 'postgres', url, poolSize: 10 });
    const sized = loadConfig(
      validEnv({ DATABASE_PATH: '', DATABASE_URL: 'postgresql://bot@db/delegate', DATABASE_POOL_SIZE: '25' }),
    );
    expect(sized.ok && sized.config.database).toEqual({
      kind: 'postgres',
      url: 'postgresql://bot@db/delegate',
      poolSize: 25,
    });
  });

  it('never shows the database password: /delegate health and the start-up log see it masked', () => {
    const result = loadConfig(
      validEnv({
        DATABASE_PATH: undefined,
        DATABASE_URL: 'postgres://bot:pa55word@db.example.com:5432/delegate?sslpassword=k3y&sslmode=require',
      }),
    );
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const described = describeConfig(result.config);
    expect(described).toMatchObject({
      databaseUrl: 'postgres://bot:***@db.example.com:5432/delegate?sslpassword=***&sslmode=require',
      databasePoolSize: 10,
    });
    expect(described).not.toHaveProperty('databasePath');
    expect(JSON.stringify(described)).not.toMatch(/pa55word|k3y/);
  });

  it('refuses DATABASE_URL and DATABASE_PATH together, a URL that is not PostgreSQL, and a bad pool size', () => {
    const both = loadConfig(validEnv({ DATABASE_URL: 'postgres://bot:pa55word@db/delegate' }));
    expect(!both.ok && both.problems).toEqual([
      'DATABASE_URL, DATABASE_PATH: set one, not both: DATABASE_URL for PostgreSQL, or DATABASE_PATH for a SQLite file',
    ]);
    const mysql = loadConfig(
      validEnv({
        DATABASE_PATH: undefined,
        DATABASE_URL: 'mysql://bot:pa55word@db/delegate',
        DATABASE_POOL_SIZE: '0',
      }),
    );
    expect(!mysql.ok && mysql.problems).toEqual([
      'DATABASE_POOL_SIZE: must be a whole number from 1 to 100 (got "0")',
      'DATABASE_URL: must be a PostgreSQL URL like postgres://user:password@host:5432/dbname (leave it unset for SQLite at DATABASE_PATH)',
    ]);
    const broken = loadConfig(
      validEnv({ DATABASE_PATH: undefined, DATABASE_URL: 'postgres://bot:pa55word@db:port/x' }),
    );
    expect(!broken.ok && broken.problems).toEqual([
      'DATABASE_URL: must be a PostgreSQL URL like postgres://user:password@host:5432/dbname (leave it unset for SQLite at DATABASE_PATH)',
    ]);
    for (const result of [both, mysql, broken]) {
      expect(!result.ok && formatConfigProblems(result.problems)).not.toContain('pa55word');
    }
  });

  it('reads the database settings alone for the audit tools', () => {
    expect(loadDatabaseConfig({ DATABASE_URL: 'postgres://bot@db/delegate' })).toEqual({
      ok: true,
      database: { kind: 'postgres', url: 'postgres://bot@db/delegate', poolSize: 10 },
    });
    expect(loadDatabaseConfig({})).toEqual({
      ok: true,
      database: { kind: 'sqlite', path: './data/delegate-bot.sqlite' },
    });
    expect(loadDatabaseConfig({ DATABASE_URL: 'postgres://db/x', DATABASE_PATH: 'bot.sqlite' }).ok).toBe(
      false,
    );
  });
});
