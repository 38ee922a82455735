// MediaLive channel reconcilers. StartChannel is only valid on an IDLE channel (409 ConflictException
// otherwise), so the state is always read first and a conflict is answered by reading it again.
import { DescribeChannelCommand, StartChannelCommand, StopChannelCommand, type MediaLiveClient } from '@aws-sdk/client-medialive';
import { awsCall, awsErrorName, StandbyUnavailableError } from './errors.js';
import { change, nowIso, type Mode, type StepReport } from './report.js';

const SERVICE = 'medialive';

export interface ChannelRef {
  region: string;
  channelId: string;
}

/** The MediaLive client of a region (each side of a channel lives in its own region). */
export type MediaLiveFor = (region: string) => MediaLiveClient;

/** States a channel never comes back from by itself: the standby cannot be used. */
const UNAVAILABLE = new Set(['CREATE_FAILED', 'DELETING', 'DELETED', 'UPDATE_FAILED']);
/** States that end in RUNNING (or, for STOPPING, in IDLE and then a start) without our help. */
const ON_THE_WAY = new Set(['STARTING', 'RECOVERING', 'CREATING', 'UPDATING', 'STOPPING']);
const STOPPABLE = new Set(['RUNNING', 'STARTING', 'RECOVERING']);

export async function describeChannelState(mediaLive: MediaLiveFor, ref: ChannelRef): Promise<string> {
  const out = await awsCall({ service: SERVICE, operation: 'DescribeChannel', ...ref }, () =>
    mediaLive(ref.region).send(new DescribeChannelCommand({ ChannelId: ref.channelId })),
  );
  return out.State ?? 'UNKNOWN';
}

export interface ChannelObserved {
  region: string;
  channelId: string;
  state: string;
  /** ensureChannelRunning: RUNNING. ensureChannelStopped: IDLE or on its way there. */
  ready: boolean;
  observedAt: string;
}

const isConflict = (err: unknown): boolean => awsErrorName(err) === 'ConflictException';

/**
 * Makes the channel run: IDLE => StartChannel; STARTING/RECOVERING => wait (ready false); RUNNING => ready;
 * CREATE_FAILED/DELETED/DELETING => Flatline.StandbyUnavailable. The state machine polls it until ready.
 */
export async function ensureChannelRunning(
  input: ChannelRef & { mode: Mode; mediaLive: MediaLiveFor; now?: () => number },
): Promise<StepReport<ChannelObserved>> {
  const ref = { region: input.region, channelId: input.channelId };
  let state = await describeChannelState(input.mediaLive, ref);
  const changes = [];
  if (state === 'IDLE') {
    changes.push(change(input.mode, `medialive:${ref.region}:${ref.channelId}`, 'IDLE', 'RUNNING'));
    if (input.mode === 'live') {
      try {
        const out = await awsCall({ service: SERVICE, operation: 'StartChannel', ...ref }, () =>
          input.mediaLive(ref.region).send(new StartChannelCommand({ ChannelId: ref.channelId })),
        );
        state = out.State ?? 'STARTING';
      } catch (err) {
        if (!isConflict(err)) throw err;
        // Someone else started it (or it moved on) between our read and our start: read again.
        changes.pop();
        state = await describeChannelState(input.mediaLive, ref);
      }
    }
  }
  if (UNAVAILABLE.has(state)) {
    throw new StandbyUnavailableError(`MediaLive channel ${ref.channelId} in ${ref.region} is ${state}: it cannot be started`, { ...ref, state });
  }
  if (state !== 'RUNNING' && state !== 'IDLE' && !ON_THE_WAY.has(state)) {
    throw new StandbyUnavailableError(`MediaLive channel ${ref.channelId} in ${ref.region} is in unexpected state ${state}`, { ...ref, state });
  }
  return {
    step: 'ensureChannelRunning',
    observed: { ...ref, state, ready: state === 'RUNNING', observedAt: nowIso(input.now) },
    changes,
  };
}

/** Stops the channel when it runs (failback of a cold standby). Nothing to do when IDLE/STOPPING or gone. */
export async function ensureChannelStopped(
  input: ChannelRef & { mode: Mode; mediaLive: MediaLiveFor; now?: () => number },
): Promise<StepReport<ChannelObserved>> {
  const ref = { region: input.region, channelId: input.channelId };
  let state = await describeChannelState(input.mediaLive, ref);
  const changes = [];
  if (STOPPABLE.has(state)) {
    changes.push(change(input.mode, `medialive:${ref.region}:${ref.channelId}`, state, 'IDLE'));
    if (input.mode === 'live') {
      try {
        const out = await awsCall({ service: SERVICE, operation: 'StopChannel', ...ref }, () =>
          input.mediaLive(ref.region).send(new StopChannelCommand({ ChannelId: ref.channelId })),
        );
        state = out.State ?? 'STOPPING';
      } catch (err) {
        if (!isConflict(err)) throw err;
        changes.pop();
        state = await describeChannelState(input.mediaLive, ref);
      }
    }
  }
  return {
    step: 'ensureChannelStopped',
    observed: { ...ref, state, ready: !STOPPABLE.has(state), observedAt: nowIso(input.now) },
    changes,
  };
}
