// Task "Snapshot": the routing before the incident changes anything, saved on the ledger, plus the
// deadline by which the standby must be ready: the execution's start ($$.Execution.StartTime, the control
// plane's clock) + policy.standbyReadySeconds (or the drill's override). Never the event's time: an event
// can be delivered late (EventBridge retries for up to 24 h) or carry an operator's old time.
import * as z from '../../domain/zod.js';
import { ledgerFromEnv } from '../../domain/ledger/ledger.js';
import { snapshotRouting, standbyDeadline } from '../../domain/reconcilers/snapshot.js';
import { ActionSchema, actionMetric, channelMetric, StepInputBase, stepHandler } from '../step.js';
import { kvsClient } from '../../lib/kvs-client.js';
import { CloudFrontClient } from '@aws-sdk/client-cloudfront';
import { MediaLiveClient } from '@aws-sdk/client-medialive';
import { CLOUDFRONT_REGION } from '../../lib/aws-clients.js';
import { documentClient } from '../../lib/dynamodb-client.js';

const Input = z.extend(StepInputBase, {
  incidentId: z.string().check(z.minLength(1)),
  action: ActionSchema,
  /** $$.Execution.StartTime; a direct invocation without it counts from now. */
  startedAt: z.optional(z.iso.datetime({ offset: true })),
  timing: z.optional(z.looseObject({ standbyReadySeconds: z.optional(z.number().check(z.positive())) })),
});

export const handler = stepHandler('snapshotRouting', Input, async (input, channel, aws) => {
  if (input.mode === 'live') channelMetric(actionMetric(input.action, 'Started'), channel.id, 1);
  const report = await snapshotRouting({
    channelId: channel.id,
    incidentId: input.incidentId,
    kvsArn: channel.edge.kvsArn,
    distributionId: channel.edge.distributionId,
    originGroupId: channel.edge.originGroupId,
    standby: { region: channel.standby.region, channelId: channel.standby.channelId },
    mode: input.mode,
    ledger: ledgerFromEnv(documentClient('step')),
    kvs: kvsClient('step'),
    cloudFront: aws(CloudFrontClient, CLOUDFRONT_REGION),
    mediaLive: (region) => aws(MediaLiveClient, region),
  });
  const readySeconds = input.timing?.standbyReadySeconds ?? channel.policy.standbyReadySeconds;
  return { ...report, deadline: standbyDeadline(input.startedAt ?? new Date().toISOString(), readySeconds) };
});
