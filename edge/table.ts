import type { Channel, Registry } from '../functions/domain/registry/index.js';

/**
 * What the edge router knows about one channel, embedded in the deployable file by the build.
 * One-letter keys on purpose: every byte counts against the 10 KB CloudFront Functions limit.
 */
export interface EdgeChannel {
  /** CloudFront origin id of the standby MediaPackage origin (selected when `route:<id>` = standby). */
  s: string;
  /** Slate playlist path (manifest requests are rewritten to it when `slate:<id>` = on). */
  l: string;
  /** edge.paths = per-origin only: the channel's path on the primary origin (no trailing slash). */
  p?: string;
  /** edge.paths = per-origin only: the channel's path on the standby origin (no trailing slash). */
  q?: string;
}

/** channelId -> EdgeChannel. */
export type EdgeTable = Record<string, EdgeChannel>;

const trimSlash = (path: string): string => path.replace(/\/+$/, '');

export function edgeChannel(channel: Channel): EdgeChannel {
  const entry: EdgeChannel = { s: channel.standby.originId, l: channel.edge.slatePath };
  if (channel.edge.paths === 'per-origin') {
    // The registry schema guarantees both originPaths when paths is per-origin.
    entry.p = trimSlash(channel.primary.originPath ?? '');
    entry.q = trimSlash(channel.standby.originPath ?? '');
  }
  return entry;
}

export function edgeTable(registry: Registry): EdgeTable {
  const table: EdgeTable = {};
  for (const channel of registry.channels) table[channel.id] = edgeChannel(channel);
  return table;
}
