import type { AnyMiddlewareArgs, Middleware } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { z } from 'zod';
import type { Logger } from '../logger.js';
import { currentRequest, withRequestContext } from '../request-context.js';
import { classify, type Envelope } from './envelope.js';

/**
 * Whose payloads the bot takes. The signature proves Slack sent a payload for an app with this signing
 * secret; it does not prove the payload is about this installation: an app installed in a second
 * workspace, or another app sharing the secret, gets correctly signed payloads too. So every payload
 * must name this installation's workspace (or, for an org-wide install, its Enterprise Grid org), and,
 * when the app id is known, this app.
 */
export interface Installation {
  /** The workspace the bot token belongs to (auth.test). */
  teamId: string;
  /** Its Enterprise Grid org, if any. */
  enterpriseId: string | undefined;
  /** Installed for the whole org: payloads may come from any of its workspaces. */
  enterpriseInstall: boolean;
  /** This app (SLACK_APP_ID, or bots.info at start); undefined when Slack would not say. */
  appId: string | undefined;
}

const authTest = z.object({
  team_id: z.string().min(1),
  enterprise_id: z.string().optional(),
  is_enterprise_install: z.boolean().optional(),
  bot_id: z.string().optional(),
});
const botsInfo = z.object({ bot: z.object({ app_id: z.string().min(1) }).optional() });

/** Who the bot token belongs to, asked of Slack at start; the app id from the setting or bots.info. */
export async function identifyInstallation(
  client: WebClient,
  appIdSetting: string | undefined,
  logger: Logger,
): Promise<Installation> {
  const auth = authTest.parse(await client.auth.test());
  let appId = appIdSetting;
  if (!appId && auth.bot_id) {
    try {
      appId = botsInfo.parse(await client.bots.info({ bot: auth.bot_id })).bot?.app_id;
    } catch (error) {
      logger.warn(
        { err: error },
        'could not learn the app id from Slack (bots.info); set SLACK_APP_ID so that payloads for other apps are refused',
      );
    }
  }
  if (!appId) logger.warn('the app id is unknown: payloads are checked for the workspace only');
  return {
    teamId: auth.team_id,
    enterpriseId: auth.enterprise_id || undefined,
    enterpriseInstall: auth.is_enterprise_install === true,
    appId,
  };
}

export type OriginRefusal =
  | 'no_workspace'
  | 'foreign_workspace'
  | 'foreign_enterprise'
  | 'no_app'
  | 'foreign_app';
export type OriginCheck = { ok: true } | { ok: false; reason: OriginRefusal; stated: StatedOrigin };

/** What a payload says of where it comes from, in every field Bolt or the listeners read it from. */
export interface StatedOrigin {
  teams: string[];
  enterprises: string[];
  appId: string | undefined;
  enterpriseInstall: boolean;
}

export function statedOrigin(envelope: Envelope): StatedOrigin {
  const teams: (string | null | undefined)[] = [];
  const enterprises: (string | null | undefined)[] = [];
  let appId: string | undefined;
  let enterpriseInstall = false;
  switch (envelope.kind) {
    case 'command': {
      const body = envelope.body;
      teams.push(body.team_id);
      enterprises.push(body.enterprise_id);
      appId = body.api_app_id;
      enterpriseInstall = body.is_enterprise_install === 'true';
      break;
    }
    case 'interaction': {
      const body = envelope.body;
      teams.push(body.team?.id, body.view?.app_installed_team_id);
      enterprises.push(body.enterprise?.id, body.team?.enterprise_id);
      appId = body.api_app_id;
      enterpriseInstall = body.is_enterprise_install === true;
      break;
    }
    case 'event': {
      const body = envelope.body;
      teams.push(body.team_id);
      enterprises.push(body.enterprise_id);
      for (const authorization of body.authorizations ?? []) {
        teams.push(authorization.team_id);
        enterprises.push(authorization.enterprise_id);
        enterpriseInstall ||= authorization.is_enterprise_install === true;
      }
      appId = body.api_app_id;
      break;
    }
    default:
      break;
  }
  const present = (ids: (string | null | undefined)[]) => [
    ...new Set(ids.filter((id): id is string => !!id)),
  ];
  return { teams: present(teams), enterprises: present(enterprises), appId, enterpriseInstall };
}

/**
 * Whether a payload is for this installation. A workspace install takes payloads naming its workspace
 * and no other (nor another org); an org-wide install takes payloads naming its org. A payload that
 * names no workspace at all is refused: Slack always names one. When the app id is known, the payload
 * must name it.
 */
export function checkOrigin(envelope: Envelope, installation: Installation): OriginCheck {
  const stated = statedOrigin(envelope);
  const refuse = (reason: OriginRefusal): OriginCheck => ({ ok: false, reason, stated });
  if (installation.enterpriseInstall) {
    if (stated.enterprises.length === 0) return refuse('no_workspace');
    if (stated.enterprises.some((id) => id !== installation.enterpriseId))
      return refuse('foreign_enterprise');
  } else {
    if (stated.teams.length === 0) return refuse('no_workspace');
    if (stated.teams.some((id) => id !== installation.teamId)) return refuse('foreign_workspace');
    if (stated.enterprises.some((id) => id !== installation.enterpriseId))
      return refuse('foreign_enterprise');
    if (stated.enterpriseInstall) return refuse('foreign_enterprise');
  }
  if (installation.appId !== undefined) {
    if (stated.appId === undefined) return refuse('no_app');
    if (stated.appId !== installation.appId) return refuse('foreign_app');
  }
  return { ok: true };
}

/** The ids of a refused payload, for the log (ids only). */
export function describeRefusal(check: Extract<OriginCheck, { ok: false }>): Record<string, unknown> {
  return {
    refusal: check.reason,
    teams: check.stated.teams,
    enterprises: check.stated.enterprises,
    appId: check.stated.appId,
  };
}

/**
 * The same checks for payloads that arrive over Socket Mode, where the HTTP receiver does not see them:
 * an unreadable shape or another installation's payload is acknowledged (Slack would otherwise resend
 * it) and dropped, before any listener runs. Each payload's handling runs with its request context.
 */
export function originGuard(
  installation: () => Installation | undefined,
  logger: Logger,
): Middleware<AnyMiddlewareArgs> {
  return async (args) => {
    const ack =
      'ack' in args && typeof args.ack === 'function' ? (args.ack as () => Promise<void>) : async () => {};
    const reading = classify(args.body, 'socket');
    const known = installation();
    const check = reading.ok && known ? checkOrigin(reading.envelope, known) : undefined;
    if (!reading.ok || !check?.ok) {
      logger.warn(
        reading.ok
          ? check && !check.ok
            ? describeRefusal(check)
            : { refusal: 'not_started' }
          : { problem: reading.problem },
        'Slack payload refused before any listener',
      );
      await ack();
      return;
    }
    if (currentRequest()) return args.next();
    return withRequestContext({ kind: describeKind(reading.envelope) }, () => args.next());
  };
}

/** The kind of payload, for logs. */
export function describeKind(envelope: Envelope): string {
  switch (envelope.kind) {
    case 'command':
      return `command ${envelope.body.command}`;
    case 'interaction':
      return envelope.body.type;
    case 'event':
      return `event ${envelope.body.event.type}`;
    default:
      return envelope.kind;
  }
}
