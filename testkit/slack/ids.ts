/**
 * Ids and timestamps minted the way Slack mints them: random block/action ids, hex tokens for triggers
 * and tickets, and strictly increasing message timestamps.
 */
import { randomFillSync } from 'node:crypto';
import { isJsonObject, type JsonObject } from './json.js';

/**
 * Random bytes for ids, from a pool refilled 4 KiB at a time. A randomBytes() call costs about 5 µs here
 * against 0.2 µs from the pool, and the simulator mints a dozen ids for one modal: under the benchmark's
 * load that was a tenth of its CPU, time that the load generator in the same process waited for.
 */
const randomPool = { bytes: Buffer.alloc(4096), used: 4096 };

function randomSlice(length: number): Buffer {
  if (randomPool.used + length > randomPool.bytes.length) {
    randomFillSync(randomPool.bytes);
    randomPool.used = 0;
  }
  randomPool.used += length;
  return randomPool.bytes.subarray(randomPool.used - length, randomPool.used);
}

export function randomHex(bytes: number): string {
  return randomSlice(bytes).toString('hex');
}

export function randomId(length: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from(randomSlice(length), (byte) => alphabet[byte % alphabet.length]).join('');
}

/** Slack fills in a block_id / action_id wherever the app left one out; so do we. */
export function withGeneratedIds(blocks: JsonObject[]): JsonObject[] {
  const copy = structuredClone(blocks);
  const giveActionId = (element: unknown) => {
    if (isJsonObject(element) && element.type !== 'image' && element.action_id === undefined) {
      element.action_id = randomId(5);
    }
  };
  for (const block of copy) {
    if (block.block_id === undefined) block.block_id = randomId(5);
    giveActionId(block.accessory);
    giveActionId(block.element);
    if (block.type === 'actions' && Array.isArray(block.elements)) block.elements.forEach(giveActionId);
  }
  return copy;
}

/** Strictly increasing Slack-style timestamps ("1700000000.000100"). */
export class MessageClock {
  private lastMicros = 0;

  next(): string {
    const micros = Math.max(Date.now() * 1000, this.lastMicros + 1);
    this.lastMicros = micros;
    return `${Math.floor(micros / 1_000_000)}.${String(micros % 1_000_000).padStart(6, '0')}`;
  }
}
