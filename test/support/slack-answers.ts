/** What the bot answered on a response_url: the ephemeral replies to commands and clicks. */
import { expect } from 'vitest';
import type { Harness } from './harness.js';

/** The ephemeral answers that arrived on a response_url. */
export function answersOn(h: Harness, responseUrl: string) {
  return h.sim.responses.filter((response) => response.url === responseUrl);
}

/** Waits for the first answer on a response_url and returns its text. */
export async function answerText(h: Harness, responseUrl: string, timeoutMs = 3000): Promise<string> {
  const answer = await h.sim.waitFor(() => answersOn(h, responseUrl)[0], timeoutMs);
  return String(answer.body.text ?? '');
}

/** Runs a /delegate subcommand and returns the ephemeral answer's text. */
export async function run(h: Harness, userId: string, text: string): Promise<string> {
  const command = await h.driver.command(userId, '/delegate', text);
  expect(command.status).toBe(200);
  const answer = await h.sim.waitFor(() => answersOn(h, command.responseUrl)[0], 10_000);
  expect(answer.body.response_type).toBe('ephemeral');
  return String(answer.body.text);
}
