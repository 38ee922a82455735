// Sharding a large fleet across probe invocations: shard i of n owns the channels whose id hashes to i.
// The hash is stable (FNV-1a over the id), so a channel stays in its shard when others are added or removed.
import { InvalidInputError } from '../errors.js';

export interface Shard {
  index: number;
  count: number;
}

export const WHOLE_FLEET: Shard = { index: 0, count: 1 };

/** Parses "i/n" (0 <= i < n). */
export function parseShard(text: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (!m || count < 1 || index >= count) throw new InvalidInputError(`shard "${text}" is not "i/n" with 0 <= i < n`, { shard: text });
  return { index, count };
}

/** FNV-1a, 32 bit: tiny, stable across runtimes and well spread for short ids. */
export function stableHash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function shardOf(channelId: string, count: number): number {
  return stableHash(channelId) % count;
}

export function inShard<T extends { id: string }>(channels: readonly T[], shard: Shard): T[] {
  return shard.count === 1 ? [...channels] : channels.filter((c) => shardOf(c.id, shard.count) === shard.index);
}
