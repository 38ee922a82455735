// The re-check of an outage the dwell held back: one execution of statemachines/recheck.asl.json per
// transition, which waits until the dwell is over and hands triage an Outage Recheck event. Step Functions'
// Wait is the timer (a Lambda cannot sleep through a dwell); the execution name makes it once per dwell.
import { StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { OUTAGE_RECHECK, TRIAGE_SOURCE } from '../contracts.js';
import { executionName } from './incident-id.js';

export interface RecheckRequest {
  channelId: string;
  /** When the dwell is over (epoch ms). */
  at: number;
  /** The transition whose dwell it is (epoch ms). */
  lastTransitionAt: number;
  reason: string;
}

export type ScheduleRecheck = (r: RecheckRequest) => Promise<void>;

/** EventBridge times have whole seconds: round up, so the event is never dated inside the dwell. */
const wholeSecondAfter = (ms: number): string => new Date(Math.ceil(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** The execution's input: when to wake up, and the event triage then gets (an EventBridge envelope). */
export function recheckInput(r: RecheckRequest, env: { account: string; region: string }): { at: string; event: Record<string, unknown> } {
  const at = wholeSecondAfter(r.at);
  return {
    at,
    event: {
      version: '0',
      id: `recheck-${r.channelId}-${r.lastTransitionAt}`,
      'detail-type': OUTAGE_RECHECK,
      source: TRIAGE_SOURCE,
      account: env.account,
      time: at,
      region: env.region,
      resources: [],
      detail: { channelId: r.channelId, lastTransitionAt: r.lastTransitionAt, reason: r.reason },
    },
  };
}

export function recheckScheduler(o: { sfn: Pick<SFNClient, 'send'>; stateMachineArn: string; account: string; region: string }): ScheduleRecheck {
  return async (r) => {
    try {
      await o.sfn.send(
        new StartExecutionCommand({
          stateMachineArn: o.stateMachineArn,
          name: executionName(r.channelId, `recheck-${r.lastTransitionAt}`),
          input: JSON.stringify(recheckInput(r, o)),
        }),
      );
    } catch (err) {
      // Already scheduled for this dwell (an earlier signal of the same outage): nothing more to do.
      if ((err as { name?: string }).name !== 'ExecutionAlreadyExists') throw err;
    }
  };
}
