import { randomInt } from 'node:crypto';

// Crockford's alphabet: no I, L, O or U, so ids survive being read aloud or retyped.
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A short request id like DR-7KQ2M9 (about a billion values; collisions are retried on insert). */
export function newRequestId(): string {
  let id = 'DR-';
  for (let i = 0; i < 6; i += 1) id += ALPHABET[randomInt(ALPHABET.length)];
  return id;
}

export const REQUEST_ID_PATTERN = /^DR-[0-9A-HJKMNP-TV-Z]{6}$/;

/** Accepts what people type: any case, with or without the DR- prefix. */
export function parseRequestId(text: string): string | undefined {
  const value = text.trim().toUpperCase();
  const id = value.startsWith('DR-') ? value : `DR-${value}`;
  return REQUEST_ID_PATTERN.test(id) ? id : undefined;
}
