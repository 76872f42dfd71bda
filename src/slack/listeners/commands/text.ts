/**
 * The text of a slash command as the person typed it. The app's manifest asks Slack to escape the
 * command's text (`should_escape: true`), so that a mention picked from the list arrives as
 * `<@U123|alice>`, a user id the bot can use. Slack then also sends an email address as
 * `<mailto:a@example.com|a@example.com>` and a link as `<https://…|label>`: those are read back as
 * the address and the label. Mentions stay escaped; the commands that take one read the user id.
 */
export function commandText(text: string): string {
  return text
    .replace(/<mailto:([^|>\s]+)(?:\|[^>]*)?>/g, '$1')
    .replace(/<https?:\/\/[^|>\s]+\|([^>]*)>/g, '$1')
    .replace(/<(https?:\/\/[^|>\s]+)>/g, '$1')
    .trim();
}
