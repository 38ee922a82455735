// Wires triage to the deployed environment: registry, ledger table, state machine ARNs, real SDK clients,
// SNS for pages, Powertools metrics and logs.
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { ledgerFromEnv } from '../domain/ledger/ledger.js';
import { checkManifestFreshness } from '../domain/manifest/index.js';
import { notify } from '../domain/reconcilers/notify.js';
import { loadRegistry, registryPath } from '../domain/registry/index.js';
import type { FreshnessCheck, TriageDeps } from '../domain/triage/index.js';
import { recheckScheduler } from '../domain/triage/recheck.js';
import { InvalidInputError } from '../domain/errors.js';
import { MediaLiveClient } from '@aws-sdk/client-medialive';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { awsClient, BUDGETS } from '../lib/aws-clients.js';
import { documentClient } from '../lib/dynamodb-client.js';
import { logger, metrics } from '../lib/lambda.js';

function channelMetric(name: string, dimensions: Record<string, string>): void {
  const single = metrics.singleMetric();
  single.addDimensions(dimensions);
  single.addMetric(name, MetricUnit.Count, 1);
}

/** FLATLINE_MAX_EVENT_AGE_SECONDS: a positive number of seconds, or unset (the policy's default, 5 min). */
export function maxEventAgeMs(env: NodeJS.ProcessEnv): number | undefined {
  const raw = env.FLATLINE_MAX_EVENT_AGE_SECONDS;
  if (raw === undefined || raw === '') return undefined;
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new InvalidInputError(`FLATLINE_MAX_EVENT_AGE_SECONDS must be a positive number of seconds, got "${raw}"`);
  return seconds * 1000;
}

/**
 * The confirmation's manifest fetch, on DescribeChannel's clock (the confirm budget's request timeout): when the
 * primary's origin accepts connections and never answers, this timeout is what the confirmation costs before
 * the failover starts. Each request of the check gets it (a multivariant playlist, then its renditions).
 */
export const confirmFreshness: FreshnessCheck = (url, opts) => checkManifestFreshness(url, { ...opts, timeoutMs: BUDGETS.confirm.requestTimeoutMs });

export function triageDepsFromEnv(env: NodeJS.ProcessEnv = process.env): TriageDeps {
  const sfn = awsClient(SFNClient, 'triage', undefined, env);
  const recheck = env.RECHECK_STATE_MACHINE_ARN;
  return {
    registry: loadRegistry(registryPath(env)),
    ledger: ledgerFromEnv(documentClient('triage', env), env),
    sfn,
    // The primary's region may be the one in trouble: one short attempt, then the manifest check decides alone.
    mediaLive: (region) => awsClient(MediaLiveClient, 'confirm', region, env),
    checkFreshness: confirmFreshness,
    stateMachines: { failover: env.FAILOVER_STATE_MACHINE_ARN ?? '', failback: env.FAILBACK_STATE_MACHINE_ARN ?? '' },
    mode: env.FLATLINE_MODE === 'plan' ? 'plan' : 'live',
    ...(recheck
      ? { scheduleRecheck: recheckScheduler({ sfn, stateMachineArn: recheck, account: env.FLATLINE_ACCOUNT_ID ?? '', region: env.AWS_REGION ?? '' }) }
      : {}),
    ...(maxEventAgeMs(env) === undefined ? {} : { maxEventAgeMs: maxEventAgeMs(env) }),
    ...(env.FLATLINE_STAGE ? { stage: env.FLATLINE_STAGE } : {}),
    ...(env.FLATLINE_ACCOUNT_ID ? { account: env.FLATLINE_ACCOUNT_ID } : {}),
    notify: async (page) => {
      await notify({ topicArn: env.NOTIFY_TOPIC_ARN, ...page, severity: 'page', mode: 'live', sns: awsClient(SNSClient, 'triage', undefined, env) });
    },
    observer: {
      signal: (s) => channelMetric('Signals', { Channel: s.channelId, Kind: s.kind, Severity: s.severity }),
      degraded: (s, reason) => {
        channelMetric('Degraded', { Channel: s.channelId });
        logger.warn('degraded', { channelId: s.channelId, kind: s.kind, reason });
      },
      // FailoverStarted itself is emitted once per execution by the snapshot step (functions/steps, live mode
      // only); triage counts what it triggered (plan runs included) under its own name so nothing is counted twice.
      started: (action, channelId) => channelMetric(action === 'failover' ? 'FailoverTriggered' : 'FailbackTriggered', { Channel: channelId }),
      info: (message, context) => logger.info(message, context),
    },
  };
}
