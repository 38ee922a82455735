// The control plane's own stateful resources: the ledger, the notification topic, triage's dead-letter
// queue, and the state machines' log groups.
import { eventRuleArn } from './arns.js';
import { getAtt, ref, type CfnResources } from './cfn.js';
import type { DeployContext } from './context.js';
import {
  LOGICAL_IDS,
  STATE_MACHINES,
  TRIAGE_RULES,
  stateMachineLogGroupLogicalId,
  stateMachineName,
  triageRuleName,
} from './names.js';

const FOURTEEN_DAYS_SECONDS = 14 * 24 * 3600;

export function coreResources(ctx: DeployContext): CfnResources {
  const prefix = `${ctx.service}-${ctx.stage}`;
  const resources: CfnResources = {
    [LOGICAL_IDS.ledgerTable]: {
      Type: 'AWS::DynamoDB::Table',
      Properties: {
        TableName: `${prefix}-ledger`,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'channelId', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'channelId', KeyType: 'HASH' }],
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      },
    },
    [LOGICAL_IDS.notifyTopic]: {
      Type: 'AWS::SNS::Topic',
      Properties: { TopicName: `${prefix}-notify`, DisplayName: `flatline ${ctx.stage}` },
    },
    // Events triage could not be delivered (EventBridge target DLQ) or failed on after its retries
    // (the async on-failure destination) land here, with the error, for a human to look at.
    [LOGICAL_IDS.triageDeadLetterQueue]: {
      Type: 'AWS::SQS::Queue',
      Properties: { QueueName: `${prefix}-triage-dlq`, MessageRetentionPeriod: FOURTEEN_DAYS_SECONDS, SqsManagedSseEnabled: true },
    },
    [LOGICAL_IDS.triageDeadLetterQueuePolicy]: {
      Type: 'AWS::SQS::QueuePolicy',
      Properties: {
        Queues: [ref(LOGICAL_IDS.triageDeadLetterQueue)],
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'TriageRulesDeadLetters',
              Effect: 'Allow',
              Principal: { Service: 'events.amazonaws.com' },
              Action: 'sqs:SendMessage',
              Resource: getAtt(LOGICAL_IDS.triageDeadLetterQueue, 'Arn'),
              Condition: { ArnEquals: { 'aws:SourceArn': TRIAGE_RULES.map((r) => eventRuleArn(ctx, triageRuleName(ctx, r))) } },
            },
          ],
        },
      },
    },
    TriageDeadLetterQueueAlarm: {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        // Outside the flatline-<stage>- prefix that routes alarms to triage: this one pages a human only.
        AlarmName: `${ctx.service}-ops-${ctx.stage}-triage-dead-letters`,
        AlarmDescription: 'Events triage could not handle are waiting in the dead-letter queue.',
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: getAtt(LOGICAL_IDS.triageDeadLetterQueue, 'QueueName') }],
        Statistic: 'Maximum',
        Period: 60,
        EvaluationPeriods: 1,
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
        AlarmActions: [ref(LOGICAL_IDS.notifyTopic)],
      },
    },
  };
  for (const key of STATE_MACHINES) {
    resources[stateMachineLogGroupLogicalId(key)] = {
      Type: 'AWS::Logs::LogGroup',
      Properties: { LogGroupName: `/aws/vendedlogs/states/${stateMachineName(ctx, key)}`, RetentionInDays: 30 },
    };
  }
  return resources;
}
