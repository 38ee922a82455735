// Everything serverless.yml's `resources:` holds, generated from the stage's registry.
import { dashboard, manifestAgeAlarms } from './alarms.js';
import { getAtt, ref, type CfnOutputs, type CfnResources } from './cfn.js';
import type { DeployContext } from './context.js';
import { coreResources } from './core.js';
import { functionRoles } from './iam.js';
import { LOGICAL_IDS, stateMachineLogicalId } from './names.js';

export function stackResources(ctx: DeployContext): CfnResources {
  const parts: CfnResources[] = [coreResources(ctx), functionRoles(ctx), manifestAgeAlarms(ctx), dashboard(ctx)];
  const all: CfnResources = {};
  for (const part of parts) {
    for (const [id, resource] of Object.entries(part)) {
      if (id in all) throw new Error(`two generators produce the resource ${id}`);
      all[id] = resource;
    }
  }
  return all;
}

export function stackOutputs(_ctx: DeployContext): CfnOutputs {
  return {
    LedgerTableName: { Description: 'LEDGER_TABLE', Value: ref(LOGICAL_IDS.ledgerTable) },
    NotifyTopicArn: { Description: 'NOTIFY_TOPIC_ARN: subscribe the on-call here', Value: ref(LOGICAL_IDS.notifyTopic) },
    TriageDeadLetterQueueUrl: { Description: 'events triage could not handle', Value: ref(LOGICAL_IDS.triageDeadLetterQueue) },
    TriageDeadLetterQueueArn: { Value: getAtt(LOGICAL_IDS.triageDeadLetterQueue, 'Arn') },
    FailoverStateMachineArn: { Value: ref(stateMachineLogicalId('failover')) },
    FailbackStateMachineArn: { Value: ref(stateMachineLogicalId('failback')) },
  };
}
