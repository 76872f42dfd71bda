import { z } from 'zod';
import { resolveMimecastBaseUrl } from '../mimecast/regions.js';
import type { MimecastAuth, MimecastConfig } from '../mimecast/types.js';
import { type Env, type IntegerReader, type Problem, read } from './env.js';

const base64 = z
  .string()
  .refine((value) => /^[A-Za-z0-9+/]+={0,2}$/.test(value) && value.length % 4 === 0, 'not valid base64');

const HMAC_VARS = [
  'MIMECAST_APP_ID',
  'MIMECAST_APP_KEY',
  'MIMECAST_ACCESS_KEY',
  'MIMECAST_SECRET_KEY',
] as const;
const OAUTH_VARS = ['MIMECAST_CLIENT_ID', 'MIMECAST_CLIENT_SECRET'] as const;

/** The Mimecast API's credentials (1.0 keys or 2.0 client), base URL and timeout. */
export function readMimecast(env: Env, problem: Problem, integer: IntegerReader): MimecastConfig | undefined {
  const hmacSet = HMAC_VARS.filter((name) => read(env, name) !== undefined);
  const oauthSet = OAUTH_VARS.filter((name) => read(env, name) !== undefined);
  const timeoutMs = integer('MIMECAST_TIMEOUT_MS', 10_000, 100, 120_000);

  let auth: MimecastAuth | undefined;
  if (hmacSet.length > 0 && oauthSet.length > 0) {
    problem(
      'MIMECAST_*',
      'set either the API 1.0 keys (MIMECAST_APP_ID, MIMECAST_APP_KEY, MIMECAST_ACCESS_KEY, MIMECAST_SECRET_KEY) ' +
        'or the API 2.0 credentials (MIMECAST_CLIENT_ID, MIMECAST_CLIENT_SECRET), not both',
    );
  } else if (hmacSet.length > 0) {
    const missing = HMAC_VARS.filter((name) => !hmacSet.includes(name));
    if (missing.length > 0) {
      problem(missing.join(', '), 'missing: the API 1.0 keys are incomplete (all four are needed)');
    } else {
      const secretKey = read(env, 'MIMECAST_SECRET_KEY') ?? '';
      if (!base64.safeParse(secretKey).success) {
        problem(
          'MIMECAST_SECRET_KEY',
          'must be the base64 text Mimecast issued (letters, digits, + / and = padding)',
        );
      }
      auth = {
        kind: 'hmac',
        appId: read(env, 'MIMECAST_APP_ID') ?? '',
        appKey: read(env, 'MIMECAST_APP_KEY') ?? '',
        accessKey: read(env, 'MIMECAST_ACCESS_KEY') ?? '',
        secretKey,
      };
    }
  } else if (oauthSet.length > 0) {
    const missing = OAUTH_VARS.filter((name) => !oauthSet.includes(name));
    if (missing.length > 0) {
      problem(missing.join(', '), 'missing: the API 2.0 credentials are incomplete (both are needed)');
    } else {
      auth = {
        kind: 'oauth',
        clientId: read(env, 'MIMECAST_CLIENT_ID') ?? '',
        clientSecret: read(env, 'MIMECAST_CLIENT_SECRET') ?? '',
      };
    }
  } else {
    problem(
      'MIMECAST_*',
      'no Mimecast credentials: set MIMECAST_CLIENT_ID and MIMECAST_CLIENT_SECRET (API 2.0), ' +
        'or MIMECAST_APP_ID, MIMECAST_APP_KEY, MIMECAST_ACCESS_KEY and MIMECAST_SECRET_KEY (API 1.0)',
    );
  }

  const baseUrl = resolveMimecastBaseUrl(read(env, 'MIMECAST_BASE_URL'), auth?.kind ?? 'oauth');
  if (!baseUrl.ok) problem('MIMECAST_BASE_URL', baseUrl.problem);

  if (!auth || !baseUrl.ok) return undefined;
  return { baseUrl: baseUrl.url, auth, timeoutMs };
}
