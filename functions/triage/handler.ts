// EventBridge target: every accepted event becomes a decision (see functions/domain/triage). A rejected
// event (malformed, unknown channel/source) is logged with its reason and THROWN, so Lambda's async
// on-failure destination (the DLQ) keeps it; nothing is acted on.
import type { TriageDecision } from '../domain/triage/index.js';
import { triage } from '../domain/triage/index.js';
import { lambda, logger } from '../lib/lambda.js';
import { triageDepsFromEnv } from './deps.js';

export const handler = lambda(async (event: unknown): Promise<TriageDecision> => {
  // Built per invocation: cheap (the SDK clients and the registry are cached per process) and it follows the
  // environment, so a process that outlives one endpoint set (the sandbox between drills) never holds a stale client.
  const deps = triageDepsFromEnv();
  try {
    const decision = await triage(event, deps);
    logger.info('triage decision', { decision: decision.decision, reason: decision.reason, channelId: decision.signal.channelId, incidentId: decision.incidentId, executionArn: decision.executionArn, mode: decision.mode });
    return decision;
  } catch (err) {
    logger.error('triage rejected the event', { error: err as Error, event });
    throw err;
  }
});
