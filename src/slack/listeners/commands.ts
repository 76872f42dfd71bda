import type { App, RespondFn } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { describeConfig } from '../../config.js';
import type { Logger } from '../../logger.js';
import { parseRequestId } from '../../requests/ids.js';
import { isEmailAddress, normalizeEmail, OPEN_STATUSES, truncate } from '../../requests/model.js';
import { endAccessProblem } from '../blocks/messages.js';
import { auditLines, requestDetails, requestList } from '../blocks/reports.js';
import { requestModal } from '../blocks/request-modal.js';
import { isChannelProblem, isLateTrigger, NO_ANSWER } from '../errors.js';
import { channelLink, escapeMrkdwn } from '../mrkdwn.js';
import { slashCommand } from '../payloads.js';
import { type ListenerContext, lateTrigger, SOMETHING_WENT_WRONG } from './context.js';

const EVERYONE_HELP = [
  '*/delegate* asks for delegate access to a mailbox in Mimecast.',
  '• `/delegate` opens the request form; `/delegate sales@example.com` fills in the mailbox',
  '• `/delegate status DR-XXXXXX` shows where a request stands',
  '• `/delegate list` shows your requests and access',
  '• `/delegate cancel DR-XXXXXX` cancels your request while it waits',
  '• `/delegate help` shows this',
];
const ADMIN_HELP = [
  '*Admin commands*',
  '• `/delegate pending` lists requests waiting for a decision',
  '• `/delegate active` lists current access and when it ends',
  '• `/delegate revoke DR-XXXXXX` removes access now',
  '• `/delegate audit DR-XXXXXX` or `/delegate audit someone@example.com` shows the audit trail',
  '• `/delegate health` checks the settings, Slack and Mimecast',
];

const ADMIN_COMMANDS = new Set(['pending', 'active', 'revoke', 'audit', 'health']);
const SUBCOMMANDS = new Set(['help', 'status', 'list', 'cancel', ...ADMIN_COMMANDS]);

interface CommandInput {
  userId: string;
  args: string[];
  reply: (text: string) => Promise<unknown>;
  client: WebClient;
  log: Logger;
}

/** `/delegate`: the request form, or one of the subcommands; anything unknown gets help. */
export function registerCommands(app: App, context: ListenerContext): void {
  const { service, config, logger } = context;

  app.command('/delegate', async ({ ack, body, client, respond }) => {
    // trigger_id lives about 3 s and Slack waits as long for the ack: ack first, then open the modal
    // as soon as the acks of the other requests that came in meanwhile are sent.
    await ack();
    await context.turns.soon();
    const parsed = slashCommand.safeParse(body);
    if (!parsed.success) {
      logger.warn({ issues: parsed.error.issues.length }, 'unreadable slash command payload');
      return;
    }
    const { user_id: userId, trigger_id: triggerId } = parsed.data;
    const text = parsed.data.text.trim();
    const log = logger.child({ user: userId, command: '/delegate' });
    const reply = (message: string) => ephemeral(respond, message);
    const [word = '', ...args] = text.split(/\s+/).filter(Boolean);
    const subcommand = word.toLowerCase();

    try {
      if (text === '' || (text.includes('@') && !SUBCOMMANDS.has(subcommand))) {
        await openRequestForm({ userId, triggerId, mailboxText: text, client, reply, log });
        return;
      }
      const input: CommandInput = { userId, args, reply, client, log };
      if (ADMIN_COMMANDS.has(subcommand)) {
        const admin = await service.isAdmin(userId);
        await service.recordCommand(userId, subcommand, admin, args[0]);
        if (!admin) {
          log.warn({ subcommand }, 'non-admin tried an admin command');
          await reply(
            `\`/delegate ${subcommand}\` is for admins only, and you are not in an admin group. Nothing was done.`,
          );
          return;
        }
      }
      switch (subcommand) {
        case 'help':
          return void (await reply(await helpFor(userId)));
        case 'status':
          return await status(input);
        case 'list':
          return await list(input);
        case 'cancel':
          return await cancel(input);
        case 'pending':
          return void (await reply(
            requestList(
              'Waiting for a decision',
              await service.listRequests({ statuses: ['pending'] }),
              'Nothing is waiting.',
            ),
          ));
        case 'active':
          return void (await reply(
            requestList(
              'Current access',
              await service.listRequests({ statuses: ['completed', 'removing'] }),
              'Nobody has delegate access through this bot right now.',
            ),
          ));
        case 'revoke':
          return await revoke(input);
        case 'audit':
          return await audit(input);
        case 'health':
          return await health(input);
        default:
          await reply(`I do not know \`${escapeCode(text)}\`.\n${await helpFor(userId)}`);
      }
    } catch (error) {
      log.error({ err: error, subcommand }, 'command failed');
      await reply(SOMETHING_WENT_WRONG).catch(() => undefined);
    }
  });

  async function helpFor(userId: string): Promise<string> {
    const admin = await service.isAdmin(userId);
    return [...EVERYONE_HELP, ...(admin ? ['', ...ADMIN_HELP] : [])].join('\n');
  }

  async function openRequestForm(input: {
    userId: string;
    triggerId: string;
    mailboxText: string;
    client: WebClient;
    reply: (text: string) => Promise<unknown>;
    log: Logger;
  }): Promise<void> {
    const [eligible, granteeEmail] = await Promise.all([
      service.canRequest(input.userId),
      service.granteeEmailOf(input.userId),
    ]);
    if (!eligible) {
      input.log.info('ineligible requester');
      await input.reply(
        'You are not in a group that may request mailbox delegate access, so no request was started. ' +
          'If you need access, ask your IT team to add you to the requesters group.',
      );
      return;
    }
    if (!granteeEmail) {
      await input.reply(
        'Your Slack profile has no email address, so Mimecast cannot know who you are. ' +
          'Ask your Slack admin to add your email to your profile, then try again.',
      );
      return;
    }
    const mailbox = normalizeEmail(input.mailboxText);
    try {
      await input.client.views.open({
        trigger_id: input.triggerId,
        view: requestModal({
          granteeEmail,
          ...(isEmailAddress(mailbox) ? { mailbox } : {}),
          durationChoicesHours: config.lifecycle.durationChoicesHours,
          defaultDurationHours: config.lifecycle.defaultDurationHours,
          approvalChannelId: config.access.approvalChannelId,
        }),
      });
    } catch (error) {
      if (!isLateTrigger(error)) throw error;
      input.log.warn('request form not opened: its trigger expired');
      await input.reply(lateTrigger('run `/delegate`'));
    }
  }

  async function requestArg(input: CommandInput, usage: string) {
    const id = parseRequestId(input.args[0] ?? '');
    if (!id) {
      await input.reply(`Give a request id, like \`/delegate ${usage} DR-7KQ2M9\`.`);
      return undefined;
    }
    const request = await service.getRequest(id);
    if (!request) await input.reply(`There is no request ${id}. Check the id in your confirmation message.`);
    return request;
  }

  async function status(input: CommandInput): Promise<void> {
    const request = await requestArg(input, 'status');
    if (!request) return;
    const allowed =
      request.requesterId === input.userId ||
      (await service.canApprove(input.userId)) ||
      (await service.isAdmin(input.userId));
    if (!allowed) {
      await input.reply(`You can see only your own requests, and ${request.id} is not yours.`);
      return;
    }
    await input.reply(requestDetails(request));
  }

  async function list(input: CommandInput): Promise<void> {
    const mine = await service.listRequests({ requesterId: input.userId, limit: 50 });
    const active = mine.filter((r) => r.status === 'completed' || r.status === 'removing');
    const open = mine.filter((r) => OPEN_STATUSES.includes(r.status));
    const past = mine.filter((r) => !active.includes(r) && !open.includes(r));
    await input.reply(
      [
        requestList('Your access', active, 'You have no delegate access through this bot.'),
        requestList('Waiting', open, 'No requests waiting.'),
        requestList('Earlier requests', past, 'None.', 10),
      ].join('\n\n'),
    );
  }

  async function cancel(input: CommandInput): Promise<void> {
    const request = await requestArg(input, 'cancel');
    if (!request) return;
    const result = await service.cancel(request.id, input.userId);
    if (result.ok) await input.reply(`Cancelled ${request.id}. The approvers' card shows it as cancelled.`);
    else if (result.reason === 'not_yours')
      await input.reply(`Only the person who asked can cancel ${request.id}.`);
    else if (result.reason === 'not_pending') {
      await input.reply(
        result.request.status === 'cancelled'
          ? `${request.id} is already cancelled.`
          : `${request.id} can no longer be cancelled: it is already decided. Nothing was changed.`,
      );
    } else await input.reply(`There is no request ${request.id}.`);
  }

  async function revoke(input: CommandInput): Promise<void> {
    const request = await requestArg(input, 'revoke');
    if (!request) return;
    const result = await service.endAccess(request.id, input.userId, 'revoked');
    if (result.ok) {
      const covered = result.coveredBy ? ` Access continues under ${result.coveredBy}.` : '';
      await input.reply(
        `Revoked ${request.id}: ${escapeMrkdwn(request.granteeEmail)} no longer has access to ${escapeMrkdwn(request.mailbox)} through it.${covered}`,
      );
    } else await input.reply(endAccessProblem(result, request.id, 'revoke'));
  }

  async function audit(input: CommandInput): Promise<void> {
    const target = input.args[0] ?? '';
    const id = parseRequestId(target);
    const email = normalizeEmail(target);
    if (id) {
      await input.reply(`*Audit trail of ${id}*\n${auditLines(await service.listAudit({ requestId: id }))}`);
    } else if (isEmailAddress(email)) {
      await input.reply(
        `*Audit trail for ${escapeMrkdwn(email)}*\n${auditLines(await service.listAudit({ email }))}`,
      );
    } else {
      await input.reply('Give a request id or an email address, like `/delegate audit DR-7KQ2M9`.');
    }
  }

  async function health(input: CommandInput): Promise<void> {
    const settings = Object.entries(describeConfig(config))
      .map(
        ([key, value]) =>
          `• ${key}: ${escapeMrkdwn(Array.isArray(value) ? value.join(', ') : String(value))}`,
      )
      .join('\n');
    let slack: string;
    try {
      const auth = await input.client.auth.test();
      const scopes = auth.response_metadata?.scopes;
      slack = `:white_check_mark: connected as ${escapeMrkdwn(String(auth.user ?? 'the bot'))}${scopes?.length ? `; scopes: ${scopes.join(', ')}` : ''}`;
      const missing = REQUIRED_SCOPES.filter((scope) => scopes && !scopes.includes(scope));
      if (missing.length)
        slack += `\n:warning: missing scopes: ${missing.join(', ')} (reinstall the app from manifest.yml)`;
    } catch (error) {
      slack = `:x: ${escapeMrkdwn(error instanceof Error ? error.message : String(error))}`;
    }
    const probe = (await service.granteeEmailOf(input.userId)) ?? 'health-check@example.com';
    const mimecast = await service.checkMimecast(probe);
    await input.reply(
      [
        '*Settings* (secrets are not shown)',
        settings,
        `*Slack*: ${slack}`,
        `*Approvers' channel* ${channelLink(config.access.approvalChannelId)}: ${await approvalChannelHealth()}`,
        `*Mimecast*: ${mimecast.ok ? ':white_check_mark:' : ':x:'} ${escapeMrkdwn(mimecast.detail)}`,
      ].join('\n'),
    );
  }

  /** Waiting requests whose card Slack refused to post (see SlackNotifier), and what to do about it. */
  async function approvalChannelHealth(): Promise<string> {
    const waiting = await service.listRequests({ statuses: ['pending'] });
    const problems = waiting.flatMap((request) =>
      request.cardProblem && !request.card ? [request.cardProblem] : [],
    );
    if (problems.length === 0) return ':white_check_mark: no waiting request is missing its card';
    const said = [...new Set(problems)].map((code) =>
      code === NO_ANSWER ? 'Slack did not answer' : `Slack said \`${code}\``,
    );
    const fix = problems.some(isChannelProblem)
      ? 'invite the bot to the channel, or set APPROVAL_CHANNEL_ID to one it is in'
      : 'the error log names the requests';
    return (
      `:x: ${problems.length} waiting request${problems.length === 1 ? ' has' : 's have'} no card (${said.join('; ')}): ` +
      `${fix}. Until then approvers can decide on the App Home.`
    );
  }
}

const REQUIRED_SCOPES = [
  'commands',
  'chat:write',
  'im:write',
  'users:read',
  'users:read.email',
  'usergroups:read',
];

function ephemeral(respond: RespondFn, text: string) {
  return respond({ response_type: 'ephemeral', text });
}

function escapeCode(text: string): string {
  return escapeMrkdwn(truncate(text, 60).replace(/`/g, "'"));
}
