/** The shape of a Web API answer (`{ ok, error?, … }`) and helpers to read a method's arguments. */
import { type BlockProblem, formatBlockProblem } from '../block-kit/validation.js';
import { isJsonObject, type JsonObject } from '../json.js';

export type ApiResult = JsonObject & { ok: boolean };

/** One Web API method: arguments as received (JSON fields parsed, the token left out) to its answer. */
export type MethodHandler = (args: JsonObject) => ApiResult;

export type MethodTable = Record<string, MethodHandler>;

export function failure(error: string, extra: JsonObject = {}): ApiResult {
  return { ok: false, error, ...extra };
}

export function blockFailure(error: string, problems: BlockProblem[]): ApiResult {
  return failure(error, {
    errors: problems.map((problem) => `${problem.message} [json-pointer:${problem.pointer}]`),
    response_metadata: { messages: problems.map(formatBlockProblem) },
  });
}

/** The error and Slack's response_metadata messages of a failed answer, on one line. */
export function describeFailure(result: ApiResult): string {
  const metadata = isJsonObject(result.response_metadata) ? result.response_metadata : {};
  const messages = Array.isArray(metadata.messages) ? metadata.messages.map(String) : [];
  return [String(result.error), ...messages].join(' ');
}

export function argString(args: JsonObject, key: string): string | undefined {
  const value = args[key];
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

export function argBoolean(args: JsonObject, key: string): boolean {
  const value = args[key];
  return value === true || value === 'true' || value === '1' || value === 1;
}
