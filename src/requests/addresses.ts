import { normalizeEmail } from './model.js';

/**
 * Addresses as people see them and as Mimecast reads them. The bot shows addresses in Slack mrkdwn
 * (the card, its thread, DMs, lists), where `*`, `_`, `~` and backticks are formatting: a local part
 * like `_ceo_` or `a*b*c` would show as something other than the address that gets access. Such
 * addresses are refused where they come in, rather than escaped wherever they are shown, so that
 * every place that shows an address, now and later, shows it exactly.
 */

/**
 * True when Slack shows the address as typed. `*`, `~` and backticks are refused anywhere in the
 * local part; `_` only where it can start or end italics: an underscore between two letters or digits
 * (`first_last`) is never formatting, so such real addresses still pass. The domain admits letters,
 * digits, dots and hyphens only (see isEmailAddress).
 */
export function showsAsTyped(address: string): boolean {
  const local = address.slice(0, Math.max(0, address.lastIndexOf('@')));
  if (/[*~`]/.test(local)) return false;
  return !/(^|[^A-Za-z0-9])_|_($|[^A-Za-z0-9])/.test(local);
}

/**
 * The mailbox an address delivers to, for comparing two addresses: lower case, and without a
 * sub-address (`alice+x@example.com` is delivered to `alice@example.com`).
 */
export function mailboxOf(address: string): string {
  const normal = normalizeEmail(address);
  const at = normal.lastIndexOf('@');
  if (at <= 0) return normal;
  const local = normal.slice(0, at);
  const plus = local.indexOf('+');
  return `${plus > 0 ? local.slice(0, plus) : local}${normal.slice(at)}`;
}

/**
 * The plain address when `mailbox` is a sub-addressed (tagged) form of another, like
 * `ceo+x@example.com` of `ceo@example.com`; undefined for a plain address. Such a mailbox is refused
 * wherever one comes in: the policy's rules, the owner lookup and the duplicate check read the address
 * as typed, so a tag would let a request escape the rule of the mailbox it delivers to.
 */
export function taggedFormOf(mailbox: string): string | undefined {
  const plain = mailboxOf(mailbox);
  return plain === normalizeEmail(mailbox) ? undefined : plain;
}

/** True when `mailbox` is the person's own mailbox (`granteeEmail`), in any case or with a +tag. */
export function isOwnMailbox(granteeEmail: string, mailbox: string): boolean {
  return mailboxOf(granteeEmail) === mailboxOf(mailbox);
}
