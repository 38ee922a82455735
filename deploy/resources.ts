// Everything serverless.yml's `resources:` holds, generated from the stage's registry.
import { edgeResources, type EdgeResources } from '../edge/resources.js';
import { dashboard, fleetAlarms, manifestAgeAlarms, probeHeartbeatAlarms } from './alarms.js';
import { getAtt, ref, type CfnOutputs, type CfnResources } from './cfn.js';
import type { DeployContext } from './context.js';
import { coreResources } from './core.js';
import { functionRoles } from './iam.js';
import { LOGICAL_IDS, stateMachineLogicalId } from './names.js';

/** The edge router (built by edge/resources.ts): the CloudFront Function and, when this stack owns it, its KVS. */
export function edgeRouter(ctx: DeployContext): EdgeResources {
  return edgeResources(ctx.registry, { stage: ctx.stage, store: ctx.edgeStore });
}

export function stackResources(ctx: DeployContext): CfnResources {
  const parts: CfnResources[] = [
    coreResources(ctx),
    functionRoles(ctx),
    manifestAgeAlarms(ctx),
    probeHeartbeatAlarms(ctx),
    fleetAlarms(ctx),
    dashboard(ctx),
    // edge/resources.ts types its values as unknown; they are CloudFormation values all the same.
    edgeRouter(ctx).Resources as CfnResources,
  ];
  const all: CfnResources = {};
  for (const part of parts) {
    for (const [id, resource] of Object.entries(part)) {
      if (id in all) throw new Error(`two generators produce the resource ${id}`);
      all[id] = resource;
    }
  }
  return all;
}

export function stackOutputs(ctx: DeployContext): CfnOutputs {
  return {
    ...(edgeRouter(ctx).Outputs as CfnOutputs),
    LedgerTableName: { Description: 'LEDGER_TABLE', Value: ref(LOGICAL_IDS.ledgerTable) },
    NotifyTopicArn: { Description: 'NOTIFY_TOPIC_ARN: subscribe the on-call here', Value: ref(LOGICAL_IDS.notifyTopic) },
    TriageDeadLetterQueueUrl: { Description: 'events triage could not handle', Value: ref(LOGICAL_IDS.triageDeadLetterQueue) },
    TriageDeadLetterQueueArn: { Value: getAtt(LOGICAL_IDS.triageDeadLetterQueue, 'Arn') },
    FailoverStateMachineArn: { Value: ref(stateMachineLogicalId('failover')) },
    FailbackStateMachineArn: { Value: ref(stateMachineLogicalId('failback')) },
  };
}
