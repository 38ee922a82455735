// Confirmation before a failover: events are best effort (late, duplicated), so look at the primary now.
// DescribeChannel in the primary's region and a fresh fetch of the primary manifest run side by side; when
// the primary region's API is down (the very outage we protect against) the manifest alone decides, and a
// manifest that is not fresh decides without waiting for DescribeChannel at all: "recovered" needs a running
// channel AND a fresh manifest, so no answer could change it, and a region that accepts connections and never
// answers would otherwise hold the failover for the client's whole timeout. Before
// a failback because the standby on air is down, the same look at the standby (a late alarm raised by the
// primary's outage must not move viewers off a fresh standby).
import { DescribeChannelCommand, type MediaLiveClient } from '@aws-sdk/client-medialive';
import type { Channel } from '../registry/index.js';

export interface FreshnessResult {
  fresh: boolean;
  ageMs: number | null;
  reason: string;
}
export type FreshnessCheck = (url: string, opts: { staleAfterTargetDurations: number }) => Promise<FreshnessResult>;

export interface Confirmation {
  /** true: the channel runs with pipelines and serves a fresh manifest; the failover is not needed. */
  recovered: boolean;
  reason: string;
  channelState?: { state: string; pipelinesRunningCount: number } | { error: string };
  manifest: FreshnessResult;
}

export async function confirmOutage(
  channel: Channel,
  deps: { mediaLive: (region: string) => Pick<MediaLiveClient, 'send'>; checkFreshness: FreshnessCheck },
  side: 'primary' | 'standby' = 'primary',
): Promise<Confirmation> {
  const source = channel[side];
  // Aborted when its answer is not needed: the hanging request would otherwise hold a socket until its timeout.
  const abandon = new AbortController();
  const describe = deps
    .mediaLive(source.region)
    .send(new DescribeChannelCommand({ ChannelId: source.channelId }), { abortSignal: abandon.signal })
    .then(
      (out) => ({ state: out.State ?? 'UNKNOWN', pipelinesRunningCount: out.PipelinesRunningCount ?? 0 }),
      (err: unknown) => ({ error: `${(err as Error).name}: ${(err as Error).message}` }),
    );
  const manifest = deps
    .checkFreshness(source.manifestUrl, { staleAfterTargetDurations: channel.policy.staleAfterTargetDurations })
    // The check reports fetch errors as not fresh; a throw is treated the same way rather than aborting triage.
    .catch((err: unknown): FreshnessResult => ({ fresh: false, ageMs: null, reason: `freshness check failed: ${(err as Error).message}` }));
  const verdict = await manifest;
  const age = verdict.ageMs === null ? 'age unknown' : `age ${verdict.ageMs} ms`;
  // Not fresh: not recovered, whatever DescribeChannel says. Its answer is taken when it is already in (race
  // settles on the first of two already-settled promises), never waited for.
  const channelState = verdict.fresh ? await describe : await Promise.race([describe, Promise.resolve(undefined)]);
  if (channelState === undefined) {
    abandon.abort();
    return {
      recovered: false,
      reason: `DescribeChannel not awaited (no answer yet from ${source.region}; a not-fresh manifest is not recovered whatever it says); ${side} manifest not fresh (${age}): ${verdict.reason}`,
      manifest: verdict,
    };
  }
  if ('error' in channelState) {
    return {
      recovered: verdict.fresh,
      reason: `DescribeChannel failed (${channelState.error}); ${side} manifest ${verdict.fresh ? 'fresh' : 'not fresh'} (${age}): ${verdict.reason}`,
      channelState,
      manifest: verdict,
    };
  }
  const running = channelState.state === 'RUNNING' && channelState.pipelinesRunningCount > 0;
  const where = `${side} ${channelState.state} with ${channelState.pipelinesRunningCount} pipelines, manifest ${verdict.fresh ? 'fresh' : 'not fresh'} (${age})`;
  return { recovered: running && verdict.fresh, reason: where, channelState, manifest: verdict };
}
