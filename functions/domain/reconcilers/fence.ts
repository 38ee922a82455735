// Fencing: a step that changes what viewers get (start or stop a channel, the KVS route, the slate, the
// origin group) acts only while its incident holds the channel's lock. A lock that ran out, or that
// another incident took, means someone else may be routing this channel: the step stops before it acts
// and the state machine reports the lost lock (Flatline.LockLost) instead of finishing.
// The check reads the ledger right before the action; the window left between the read and the write is
// the step's own latency, far shorter than any lock.
import type { LockView } from '../ledger/lock-reader.js';
import { lockedPhase, lockHeld } from '../ledger/rules.js';
import { LockLostError } from './errors.js';

export async function requireLock(o: {
  read: (channelId: string) => Promise<LockView>;
  channelId: string;
  incidentId: string;
  step: string;
  now?: () => number;
}): Promise<void> {
  const item = await o.read(o.channelId);
  const now = (o.now ?? Date.now)();
  if (item.incidentId === o.incidentId && lockHeld(item, now)) return;
  const why =
    item.incidentId === o.incidentId
      ? `its lock ${lockedPhase(item) ? `expired at ${new Date(item.lockExpiresAt ?? 0).toISOString()}` : `was released (phase ${item.phase})`}`
      : `the lock is held by incident ${item.incidentId ?? '(none)'} (${item.phase}, on air ${item.onAir})`;
  throw new LockLostError(`${o.step}: incident ${o.incidentId} no longer holds the lock of ${o.channelId}: ${why}; nothing changed`, {
    channelId: o.channelId,
    incidentId: o.incidentId,
    step: o.step,
    heldBy: item.incidentId,
    phase: item.phase,
  });
}
