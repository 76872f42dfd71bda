/** Reading settings from the environment: blank is unset; each problem by variable name. */

export type Env = Readonly<Record<string, string | undefined>>;

/** Blank strings count as unset, as they do in most .env files. */
export function read(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

/** A comma-separated list, its items trimmed, empty ones dropped. */
export function list(env: Env, name: string): string[] {
  return (read(env, name) ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

export type Problem = (name: string, text: string) => void;
export type IntegerReader = (name: string, fallback: number, min: number, max: number) => number;

/** A whole number from min to max, or the fallback (with a problem when set but not one). */
export function readInteger(
  env: Env,
  problem: Problem,
  name: string,
  fallback: number,
  min: number,
  max: number,
) {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    problem(name, `must be a whole number from ${min} to ${max} (got "${raw}")`);
    return fallback;
  }
  return value;
}
