// The steps that change what viewers get (a channel started or stopped, the KVS route, the slate, the origin
// group) act for an incident: before acting, that incident must still hold the channel's lock
// (functions/domain/reconcilers/fence.ts). Kept apart from step.ts so that the read-only steps' bundles
// carry no ledger client.
import * as z from '../domain/zod.js';
import { lockReader } from '../domain/ledger/lock-reader.js';
import { requireLock } from '../domain/reconcilers/fence.js';
import type { Channel } from '../domain/registry/index.js';
import type { Clients } from '../lib/aws-clients.js';
import { documentClient } from '../lib/dynamodb-client.js';
import { StepInputBase, stepHandler } from './step.js';

/** A fenced step's input names its incident besides the channel. */
export const FencedInputBase = z.extend(StepInputBase, { incidentId: z.string().check(z.minLength(1)) });

/**
 * Before it acts, its incident must still hold the channel's lock
 * (functions/domain/reconcilers/fence.ts); otherwise it throws Flatline.LockLost and changes nothing.
 */
export function fencedStepHandler<S extends z.ZodMiniType<{ channelId: string; incidentId: string }>, O>(
  step: string,
  schema: S,
  fn: (input: z.infer<S>, channel: Channel, aws: Clients) => Promise<O>,
) {
  return stepHandler(step, schema, async (input, channel, aws) => {
    await requireLock({ read: lockReader(documentClient('step'), process.env.LEDGER_TABLE ?? ''), channelId: channel.id, incidentId: input.incidentId, step });
    return fn(input, channel, aws);
  });
}
