// Transitions onto the bus: one `Manifest Stale` / `Manifest Fresh` event each (source flatline.probe),
// PutEvents in batches of 10 (the API's limit per call).
import { PutEventsCommand, type EventBridgeClient, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { PROBE_SOURCE } from '../contracts.js';
import { FlatlineError } from '../errors.js';
import type { Transition } from './channel-probe.js';
import type { Publish } from './loop.js';

const MAX_ENTRIES_PER_CALL = 10;

export class PublishError extends FlatlineError {
  constructor(message: string, context: Record<string, unknown>) {
    super('Flatline.PublishError', message, context);
  }
}

export function toEventEntry(t: Transition, eventBusName: string): PutEventsRequestEntry {
  return {
    Source: PROBE_SOURCE,
    DetailType: t.detailType,
    Detail: JSON.stringify(t.detail),
    EventBusName: eventBusName,
    Time: new Date(t.detail.observedAt),
  };
}

/** A `publish` for the probe loop that puts every transition on an EventBridge bus. */
export function eventBridgePublisher(client: EventBridgeClient, eventBusName = 'default'): Publish {
  return async (transitions) => {
    const failures: string[] = [];
    for (let i = 0; i < transitions.length; i += MAX_ENTRIES_PER_CALL) {
      const batch = transitions.slice(i, i + MAX_ENTRIES_PER_CALL);
      const out = await client.send(new PutEventsCommand({ Entries: batch.map((t) => toEventEntry(t, eventBusName)) }));
      (out.Entries ?? []).forEach((entry, j) => {
        if (entry.ErrorCode) {
          const t = batch[j];
          failures.push(`${t?.detail.channelId}/${t?.detail.path}: ${entry.ErrorCode} ${entry.ErrorMessage ?? ''}`.trim());
        }
      });
    }
    if (failures.length > 0) throw new PublishError(`PutEvents rejected ${failures.length} event(s): ${failures.join('; ')}`, { failures, eventBusName });
  };
}
