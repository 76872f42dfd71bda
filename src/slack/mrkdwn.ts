import { truncate } from '../requests/model.js';

/**
 * Making user text safe inside Slack mrkdwn. Escaping &, < and > is what Slack asks for: without a
 * literal `<` nobody can write `<!channel>`, `<@U123>` or `<https://evil|harmless>` into our messages.
 * Reasons are also shown as a quote, so whatever formatting they carry stays visibly theirs.
 */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * User text, escaped, in at most `max` characters. Escaping can make text five times longer (`&` is
 * `&amp;`), so the limit is applied after it; an ellipsis marks a cut, never made inside an entity.
 */
export function escapeWithin(text: string, max: number): string {
  return clipEscaped(escapeMrkdwn(text), max);
}

/** User text as a quote block, escaped, in at most `max` characters (a section holds 3000). */
export function quote(text: string, max = 2900): string {
  const quoted = text
    .split('\n')
    .map((line) => `>${escapeMrkdwn(line)}`)
    .join('\n');
  return clipEscaped(quoted, max);
}

function clipEscaped(escaped: string, max: number): string {
  if (escaped.length <= max) return escaped;
  let cut = max - 1;
  const entity = escaped.lastIndexOf('&', cut - 1);
  if (entity !== -1 && escaped.indexOf(';', entity) >= cut) cut = entity;
  return `${truncate(escaped, cut)}…`;
}

export function mentionUser(userId: string): string {
  return /^[UW][A-Z0-9]+$/.test(userId) ? `<@${userId}>` : escapeMrkdwn(userId);
}

export function mentionGroup(groupId: string): string {
  return `<!subteam^${groupId}>`;
}

export function channelLink(channelId: string): string {
  return `<#${channelId}>`;
}

/** A time every reader sees in their own time zone, with a UTC fallback. */
export function slackDate(date: Date): string {
  const unix = Math.floor(date.getTime() / 1000);
  const fallback = `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  return `<!date^${unix}^{date_short_pretty} at {time}|${fallback}>`;
}

/** Plain text fields (titles, button labels) are not mrkdwn, but have hard length limits. */
export function clip(text: string, max: number): string {
  return text.length > max ? `${truncate(text, max - 1)}…` : text;
}
