/**
 * The vocabulary of Block Kit validation: where a problem is (a JSON pointer, as Slack reports it), how it
 * reads, and the checker that collects problems while the rules in surfaces.ts and elements.ts walk a
 * payload. Error wording follows Slack's `[ERROR] <message> [json-pointer:<pointer>]` format.
 */
import { charCount, isJsonObject, type JsonObject } from '../json.js';

export type BlockSurface = 'message' | 'modal' | 'home';

export interface BlockProblem {
  /** JSON pointer into the request, as Slack reports it, e.g. `/blocks/3/text/text`. */
  pointer: string;
  message: string;
}

/** Formats a problem the way Slack does in `response_metadata.messages`. */
export function formatBlockProblem(problem: BlockProblem): string {
  return `[ERROR] ${problem.message} [json-pointer:${problem.pointer}]`;
}

export function describeProblems(problems: BlockProblem[]): string {
  return problems.map(formatBlockProblem).join('; ');
}

/** Collects problems while walking one surface (a message's blocks, or a view). */
export class BlockValidation {
  readonly problems: BlockProblem[] = [];

  constructor(readonly surface: BlockSurface) {}

  add(pointer: string, message: string): void {
    this.problems.push({ pointer, message });
  }

  /** An optional (or required) string field; returns it when it is a string. */
  string(
    owner: JsonObject,
    field: string,
    pointer: string,
    rule: { max?: number; required?: boolean; nonEmpty?: boolean } = {},
  ): string | undefined {
    const value = owner[field];
    if (value === undefined || value === null) {
      if (rule.required) this.add(pointer, `missing required field: ${field}`);
      return undefined;
    }
    if (typeof value !== 'string') {
      this.add(`${pointer}/${field}`, 'must provide a string');
      return undefined;
    }
    if (rule.nonEmpty && value.length === 0)
      this.add(`${pointer}/${field}`, 'must be more than 0 characters');
    if (rule.max !== undefined && charCount(value) > rule.max) {
      this.add(`${pointer}/${field}`, `must be less than ${rule.max + 1} characters`);
    }
    return value;
  }

  /** A text object held in `owner[field]`. */
  text(
    owner: JsonObject,
    field: string,
    pointer: string,
    rule: { max: number; required?: boolean; plainOnly?: boolean | undefined },
  ): void {
    const value = owner[field];
    if (value === undefined || value === null) {
      if (rule.required) this.add(pointer, `missing required field: ${field}`);
      return;
    }
    this.textObject(value, `${pointer}/${field}`, rule);
  }

  /** A text object at `pointer` (e.g. a section field or a context element). */
  textObject(value: unknown, pointer: string, rule: { max: number; plainOnly?: boolean | undefined }): void {
    if (!isJsonObject(value)) {
      this.add(pointer, 'must provide an object');
      return;
    }
    const type = value.type;
    if (type !== 'plain_text' && type !== 'mrkdwn') {
      this.add(`${pointer}/type`, 'must be a valid enum value (plain_text or mrkdwn)');
    } else if (rule.plainOnly && type === 'mrkdwn') {
      this.add(`${pointer}/type`, 'must be plain_text here: mrkdwn is not allowed');
    }
    if (type === 'mrkdwn' && value.emoji !== undefined)
      this.add(`${pointer}/emoji`, 'emoji is only valid on plain_text');
    if (type === 'plain_text' && value.verbatim !== undefined) {
      this.add(`${pointer}/verbatim`, 'verbatim is only valid on mrkdwn');
    }
    this.string(value, 'text', pointer, { required: true, max: rule.max, nonEmpty: true });
  }

  boolean(owner: JsonObject, field: string, pointer: string): void {
    const value = owner[field];
    if (value !== undefined && value !== null && typeof value !== 'boolean') {
      this.add(`${pointer}/${field}`, 'must provide a boolean');
    }
  }

  integer(
    owner: JsonObject,
    field: string,
    pointer: string,
    rule: { min: number; max?: number },
  ): number | undefined {
    const value = owner[field];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      this.add(`${pointer}/${field}`, 'must provide an integer');
      return undefined;
    }
    if (value < rule.min) this.add(`${pointer}/${field}`, `must be at least ${rule.min}`);
    if (rule.max !== undefined && value > rule.max)
      this.add(`${pointer}/${field}`, `must be at most ${rule.max}`);
    return value;
  }

  array(
    owner: JsonObject,
    field: string,
    pointer: string,
    rule: { min?: number; max?: number; required?: boolean },
  ): unknown[] | undefined {
    const value = owner[field];
    if (value === undefined || value === null) {
      if (rule.required) this.add(pointer, `missing required field: ${field}`);
      return undefined;
    }
    if (!Array.isArray(value)) {
      this.add(`${pointer}/${field}`, 'must provide an array');
      return undefined;
    }
    if (rule.min !== undefined && value.length < rule.min) {
      this.add(`${pointer}/${field}`, `must provide at least ${rule.min} items`);
    }
    if (rule.max !== undefined && value.length > rule.max) {
      this.add(`${pointer}/${field}`, `no more than ${rule.max} items allowed`);
    }
    return value;
  }

  oneOf(owner: JsonObject, field: string, pointer: string, allowed: readonly string[]): void {
    const value = owner[field];
    if (value === undefined || value === null) return;
    if (typeof value !== 'string' || !allowed.includes(value)) {
      this.add(`${pointer}/${field}`, `must be one of: ${allowed.join(', ')}`);
    }
  }
}
