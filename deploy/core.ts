// The control plane's own stateful resources: the ledger, the notification topic (KMS-encrypted) and its
// key, triage's dead-letter queue, flatline's event bus and its policy, the state machines' log groups,
// and the alarms that page a human when the control plane itself is in trouble.
import { eventRuleArn, flatlineEventBusArn } from './arns.js';
import { getAtt, ref, type CfnResources, type CfnValue } from './cfn.js';
import type { DeployContext } from './context.js';
import {
  FLATLINE_BUS_RULES,
  LOGICAL_IDS,
  STATE_MACHINES,
  TRIAGE_RULES,
  flatlineEventBusName,
  functionName,
  opsAlarmName,
  roleLogicalId,
  stateMachineLogGroupLogicalId,
  stateMachineName,
  triageRuleName,
} from './names.js';

const FOURTEEN_DAYS_SECONDS = 14 * 24 * 3600;
export const OPS_SOURCE = 'flatline.ops';
export const PROBE_SOURCE = 'flatline.probe';

/** Names of the alarms serverless.yml's state machines declare (stepFunctions.stateMachines.*.alarms). */
export const stateMachineAlarmNames = (ctx: DeployContext): string[] =>
  STATE_MACHINES.flatMap((key) => [opsAlarmName(ctx, `${key}-failed`), opsAlarmName(ctx, `${key}-timed-out`)]);

/** Every alarm that pages a human about the control plane (the dashboard shows them all). */
export const opsAlarmNames = (ctx: DeployContext): string[] => [
  opsAlarmName(ctx, 'triage-dead-letters'),
  opsAlarmName(ctx, 'triage-errors'),
  ...stateMachineAlarmNames(ctx),
];

/**
 * Who may put flatline's events on its bus. In one account an identity policy alone allows PutEvents, so the
 * policy DENIES: flatline.ops from anyone but the operator roles, flatline.probe from anyone but the probe,
 * and any other source (conditions events:source and aws:PrincipalArn:
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-conditions.html,
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn).
 */
export function eventBusPolicy(ctx: DeployContext): CfnValue {
  const bus = flatlineEventBusArn(ctx);
  const denyUnless = (sid: string, source: string, principals: CfnValue[]): CfnValue => ({
    Sid: sid,
    Effect: 'Deny',
    Principal: '*',
    Action: 'events:PutEvents',
    Resource: bus,
    Condition: {
      StringEquals: { 'events:source': source },
      // No operator role configured: nobody may request a failover through the bus.
      ...(principals.length > 0 ? { ArnNotEquals: { 'aws:PrincipalArn': principals } } : {}),
    },
  });
  const statements: CfnValue[] = [
    denyUnless('OpsOnlyFromOperators', OPS_SOURCE, ctx.operatorRoleArns),
    denyUnless('ProbeOnlyFromTheProbe', PROBE_SOURCE, [getAtt(roleLogicalId('probe'), 'Arn')]),
    {
      Sid: 'OnlyFlatlineSources',
      Effect: 'Deny',
      Principal: '*',
      Action: 'events:PutEvents',
      Resource: bus,
      Condition: { StringNotEquals: { 'events:source': [OPS_SOURCE, PROBE_SOURCE] } },
    },
  ];
  if (ctx.operatorRoleArns.length > 0) {
    // Operators in another account need an Allow here as well as their own identity policy.
    statements.push({
      Sid: 'OperatorsMayRequest',
      Effect: 'Allow',
      Principal: { AWS: ctx.operatorRoleArns },
      Action: 'events:PutEvents',
      Resource: bus,
      Condition: { StringEquals: { 'events:source': OPS_SOURCE } },
    });
  }
  return { Version: '2012-10-17', Statement: statements };
}

function notifyTopic(ctx: DeployContext, prefix: string): CfnResources {
  const account = `arn:aws:iam::${ctx.accountId}:root`;
  return {
    // SNS server-side encryption with a customer managed key: CloudWatch (alarm actions) must be allowed to
    // use it, which the AWS managed key does not allow
    // (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services).
    [LOGICAL_IDS.notifyKey]: {
      Type: 'AWS::KMS::Key',
      Properties: {
        Description: `flatline ${ctx.stage}: encrypts the notification topic`,
        EnableKeyRotation: true,
        KeyPolicy: {
          Version: '2012-10-17',
          Statement: [
            { Sid: 'AccountAdministers', Effect: 'Allow', Principal: { AWS: account }, Action: 'kms:*', Resource: '*' },
            {
              Sid: 'CloudWatchAlarmsPublish',
              Effect: 'Allow',
              Principal: { Service: 'cloudwatch.amazonaws.com' },
              Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
              Resource: '*',
              Condition: { StringEquals: { 'aws:SourceAccount': ctx.accountId } },
            },
          ],
        },
      },
    },
    [LOGICAL_IDS.notifyTopic]: {
      Type: 'AWS::SNS::Topic',
      Properties: { TopicName: `${prefix}-notify`, DisplayName: `flatline ${ctx.stage}`, KmsMasterKeyId: getAtt(LOGICAL_IDS.notifyKey, 'Arn') },
    },
    [LOGICAL_IDS.notifyTopicPolicy]: {
      Type: 'AWS::SNS::TopicPolicy',
      Properties: {
        Topics: [ref(LOGICAL_IDS.notifyTopic)],
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'CloudWatchAlarmsOfThisAccount',
              Effect: 'Allow',
              Principal: { Service: 'cloudwatch.amazonaws.com' },
              Action: 'sns:Publish',
              Resource: ref(LOGICAL_IDS.notifyTopic),
              Condition: { StringEquals: { 'aws:SourceAccount': ctx.accountId } },
            },
            {
              Sid: 'TlsOnly',
              Effect: 'Deny',
              Principal: '*',
              Action: ['sns:Publish', 'sns:Subscribe'],
              Resource: ref(LOGICAL_IDS.notifyTopic),
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            },
          ],
        },
      },
    },
  };
}

function opsAlarm(ctx: DeployContext, what: string, description: string, metric: Record<string, CfnValue>): CfnResources[string] {
  return {
    Type: 'AWS::CloudWatch::Alarm',
    Properties: {
      // Outside the flatline-<stage>- prefix that routes alarms to triage: these page a human only.
      AlarmName: opsAlarmName(ctx, what),
      AlarmDescription: description,
      ...metric,
      Period: 60,
      EvaluationPeriods: 1,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [ref(LOGICAL_IDS.notifyTopic)],
    },
  };
}

export function coreResources(ctx: DeployContext): CfnResources {
  const prefix = `${ctx.service}-${ctx.stage}`;
  const busName = flatlineEventBusName(ctx);
  const resources: CfnResources = {
    [LOGICAL_IDS.ledgerTable]: {
      Type: 'AWS::DynamoDB::Table',
      Properties: {
        TableName: `${prefix}-ledger`,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'channelId', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'channelId', KeyType: 'HASH' }],
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        // The ledger holds every channel's lock and history: deleting it takes a deliberate step.
        DeletionProtectionEnabled: true,
      },
    },
    ...notifyTopic(ctx, prefix),
    [LOGICAL_IDS.eventBus]: {
      Type: 'AWS::Events::EventBus',
      Properties: { Name: busName, Policy: eventBusPolicy(ctx) },
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
              Condition: {
                ArnEquals: {
                  'aws:SourceArn': TRIAGE_RULES.map((r) => eventRuleArn(ctx, triageRuleName(ctx, r), FLATLINE_BUS_RULES.includes(r) ? busName : 'default')),
                },
              },
            },
          ],
        },
      },
    },
    TriageDeadLetterQueueAlarm: opsAlarm(ctx, 'triage-dead-letters', 'Events triage could not handle are waiting in the dead-letter queue.', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: getAtt(LOGICAL_IDS.triageDeadLetterQueue, 'QueueName') }],
      Statistic: 'Maximum',
    }),
    TriageErrorsAlarm: opsAlarm(ctx, 'triage-errors', 'The triage function failed (each failure is retried, then dead-lettered with its reason).', {
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: functionName(ctx, 'triage') }],
      Statistic: 'Sum',
    }),
  };
  for (const key of STATE_MACHINES) {
    resources[stateMachineLogGroupLogicalId(key)] = {
      Type: 'AWS::Logs::LogGroup',
      Properties: { LogGroupName: `/aws/vendedlogs/states/${stateMachineName(ctx, key)}`, RetentionInDays: ctx.logRetentionDays },
    };
  }
  return resources;
}
