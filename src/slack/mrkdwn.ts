/**
 * Making user text safe inside Slack mrkdwn. Escaping &, < and > is what Slack asks for: without a
 * literal `<` nobody can write `<!channel>`, `<@U123>` or `<https://evil|harmless>` into our messages.
 * Reasons are also shown as a quote, so whatever formatting they carry stays visibly theirs.
 */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** User text as a quote block, escaped, capped so the section stays within Slack's 3000 characters. */
export function quote(text: string, maxLength = 2500): string {
  const clipped = text.length > maxLength ? `${text.slice(0, maxLength)}…` : text;
  return clipped
    .split('\n')
    .map((line) => `>${escapeMrkdwn(line)}`)
    .join('\n');
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
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
