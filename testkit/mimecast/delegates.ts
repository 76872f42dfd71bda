/**
 * The delegate endpoints and the directory behind them: the known mailboxes and the delegate rights
 * between them. Each item of a request's `data[]` is handled as a separate call and lands in the answer's
 * `data[]` or `fail[]` on its own; addresses are compared and stored in lower case.
 *
 * A right is stored against the grantee's account (the add's `primaryAddress`), as Mimecast does: a
 * search by the grantee lists the mailboxes they can open; a search by a shared mailbox's own address
 * lists nothing. The search answers in Mimecast's layout unless told to use one of the variants.
 */
import { randomBytes } from 'node:crypto';
import { error, type FailItem, type MimecastError, mimecastFailure, type Reply } from './replies.js';
import { type FindShape, MIMECAST_FIND_SHAPE, type SimulatedRight, type SimulatorCall } from './types.js';

export const ADD_PATH = '/api/user/add-delegate-user';
export const REMOVE_PATH = '/api/user/remove-delegate-user';
export const FIND_PATH = '/api/user/find-delegate-users';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

type Item = Record<string, unknown>;
type Outcome = { data: unknown[] } | { errors: MimecastError[] };
type AddressCheck = { ok: true; address: string } | { ok: false; error: MimecastError };

export class DelegateDirectory {
  readonly #initialMailboxes: string[];
  readonly #mailboxes = new Set<string>();
  readonly #rights = new Map<string, SimulatedRight>();
  readonly #initialShape: FindShape;
  #shape: FindShape;

  constructor(mailboxes: string[], findShape: FindShape = MIMECAST_FIND_SHAPE) {
    this.#initialMailboxes = mailboxes.map((email) => email.toLowerCase());
    for (const email of this.#initialMailboxes) this.#mailboxes.add(email);
    this.#initialShape = findShape;
    this.#shape = findShape;
  }

  /** Copies of the rights that exist now. */
  get rights(): SimulatedRight[] {
    return [...this.#rights.values()].map((right) => ({ ...right }));
  }

  /** How find-delegate-users lays out its answer from now on. */
  setFindShape(shape: FindShape): void {
    this.#shape = shape;
  }

  /**
   * A right made outside the API, as an administrator would in the Administration Console: `grantee`
   * can open `mailbox`. Both must be known addresses. Returns the right.
   */
  grant(grantee: string, mailbox: string, source = 'ADCON'): SimulatedRight {
    const primaryAddress = grantee.toLowerCase();
    const delegateAddress = mailbox.toLowerCase();
    for (const address of [primaryAddress, delegateAddress]) {
      if (!this.#mailboxes.has(address))
        throw new Error(`${address} is not a known address of the simulator`);
    }
    return this.#store(primaryAddress, delegateAddress, source);
  }

  /** Removes a right outside the API (an administrator's hand); false when there was none with this id. */
  revoke(id: string): boolean {
    return this.#rights.delete(id);
  }

  addMailbox(email: string): void {
    this.#mailboxes.add(email.toLowerCase());
  }

  /** Back to the mailboxes given at start, and no rights. */
  reset(): void {
    this.#rights.clear();
    this.#shape = this.#initialShape;
    this.#mailboxes.clear();
    for (const email of this.#initialMailboxes) this.#mailboxes.add(email);
  }

  /** Answers an authenticated request to a delegate endpoint (or 404 for any other path). */
  operate(call: SimulatorCall): Reply {
    const operation = {
      [ADD_PATH]: (item: Item) => this.#addDelegate(item),
      [REMOVE_PATH]: (item: Item) => this.#removeDelegate(item),
      [FIND_PATH]: (item: Item) => this.#findDelegates(item),
    }[call.path];
    if (operation === undefined) {
      return mimecastFailure(404, 'err_resource_not_found', `No endpoint at ${call.path} (sim)`);
    }

    const items = (call.body as { data?: unknown } | undefined)?.data;
    if (!Array.isArray(items) || items.some((item) => typeof item !== 'object' || item === null)) {
      return mimecastFailure(
        400,
        'err_validation_null',
        'The request body must have a data array of objects',
        'data',
      );
    }
    // Several items behave like separate calls: each lands in data[] or fail[] on its own.
    const data: unknown[] = [];
    const fail: FailItem[] = [];
    for (const item of items as Item[]) {
      const outcome = operation(item);
      if ('errors' in outcome) fail.push({ key: item, errors: outcome.errors });
      else data.push(...outcome.data);
    }
    return { status: 200, body: { meta: { status: 200 }, data, fail } };
  }

  #addDelegate(item: Item): Outcome {
    const primary = this.#knownAddress(item, 'primaryAddress');
    if (!primary.ok) return { errors: [primary.error] };
    const delegate = this.#knownAddress(item, 'delegateAddress');
    if (!delegate.ok) return { errors: [delegate.error] };
    if (primary.address === delegate.address) {
      return {
        errors: [
          error(
            'err_validation_same_address',
            'A user cannot be a delegate of their own mailbox (sim)',
            'delegateAddress',
          ),
        ],
      };
    }
    const existing = [...this.#rights.values()].find(
      (right) => right.primaryAddress === primary.address && right.delegateAddress === delegate.address,
    );
    if (existing) return { data: [{ id: existing.id, success: true }] };

    const right = this.#store(primary.address, delegate.address, 'API');
    return { data: [{ id: right.id, success: true }] };
  }

  #store(primaryAddress: string, delegateAddress: string, source: string): SimulatedRight {
    const id = `eNo${randomBytes(36).toString('base64url')}`;
    const right = { id, primaryAddress, delegateAddress, name: displayName(delegateAddress), source };
    this.#rights.set(id, right);
    return { ...right };
  }

  #removeDelegate(item: Item): Outcome {
    const { id } = item;
    if (id === undefined || id === null)
      return { errors: [error('err_validation_null', 'id must not be null', 'id')] };
    if (typeof id !== 'string' || id.trim() === '') {
      return { errors: [error('err_validation_blank', 'id must not be blank', 'id')] };
    }
    if (!this.#rights.delete(id)) {
      return { errors: [error('err_delegate_not_found', 'No delegate right has this id (sim)', 'id')] };
    }
    return { data: [{ id, success: true }] };
  }

  /** The mailboxes the searched grantee can open, laid out as the current find shape says. */
  #findDelegates(item: Item): Outcome {
    const primary = validAddress(item, 'primaryAddress');
    if (!primary.ok) return { errors: [primary.error] };
    const shape = this.#shape;
    const entries = [...this.#rights.values()]
      .filter((right) => right.primaryAddress === primary.address)
      .map((right) => ({
        [shape.address]: right.delegateAddress,
        name: right.name,
        [shape.id]: right.id,
        source: right.source,
      }));
    return { data: shape.layout === 'nested' ? [{ delegateUsers: entries }] : entries };
  }

  #knownAddress(item: Item, field: string): AddressCheck {
    const check = validAddress(item, field);
    if (check.ok && !this.#mailboxes.has(check.address)) {
      return {
        ok: false,
        error: error(
          'err_validation_address_not_found',
          `${check.address} is not an internal address (sim)`,
          field,
        ),
      };
    }
    return check;
  }
}

function validAddress(item: Item, field: string): AddressCheck {
  const value = item[field];
  if (value === undefined || value === null) {
    return { ok: false, error: error('err_validation_null', `${field} must not be null`, field) };
  }
  if (typeof value !== 'string' || value.trim() === '') {
    return { ok: false, error: error('err_validation_blank', `${field} must not be blank`, field) };
  }
  if (!EMAIL.test(value)) {
    return {
      ok: false,
      error: error('err_validation_invalid_email_address', `${field} is not a valid email address`, field),
    };
  }
  return { ok: true, address: value.toLowerCase() };
}

/** "sales@example.com" → "Sales": the simulator's stand-in for a directory display name. */
function displayName(address: string): string {
  const local = address.slice(0, address.indexOf('@'));
  return local.charAt(0).toUpperCase() + local.slice(1);
}
