// Task "Finish*": record the incident's summary on the ledger and release the lock with the outcome.
import { ledgerFromEnv } from '../../domain/ledger/ledger.js';
import { finishIncident } from '../../domain/reconcilers/finish.js';
import { changesOf, IncidentInput, ledgerOutcome, resolveOnAir } from '../incident-outcome.js';
import { actionMetric, channelMetric, stepHandler } from '../step.js';
import { documentClient } from '../../lib/dynamodb-client.js';

export const handler = stepHandler('finishIncident', IncidentInput, async (input, channel) => {
  const outcome = ledgerOutcome(input.outcome);
  const ledger = ledgerFromEnv(documentClient('step'));
  const onAir = resolveOnAir(input) ?? (await ledger.get(channel.id)).onAir;
  const report = await finishIncident({
    channelId: channel.id,
    incidentId: input.incidentId,
    action: input.action,
    outcome,
    onAir,
    mode: input.mode,
    changes: changesOf(input.steps),
    error: input.error,
    ledger,
  });
  if (input.mode === 'live') {
    const what = outcome === 'succeeded' ? 'Succeeded' : outcome === 'degraded' ? 'Degraded' : outcome === 'rolled-back' ? 'RolledBack' : 'Failed';
    channelMetric(actionMetric(input.action, what), channel.id, 1);
  }
  return report;
});
