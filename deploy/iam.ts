// One IAM role per function, each with exactly the actions its code calls, on exactly the resources the
// registry names (no `*` resource on any mutating action). The framework's shared role is not used:
// every function in serverless.yml sets `role: <Key>Role`.
import {
  distributionArns,
  executionArns,
  flatlineEventBusArn,
  keyValueStoreArns,
  logGroupArn,
  mediaLiveChannelArns,
} from './arns.js';
import { EDGE_STORE_LOGICAL_ID } from '../edge/resources.js';
import { getAtt, ref, type CfnResources, type CfnValue, type PolicyStatement } from './cfn.js';
import type { DeployContext } from './context.js';
import type { Side } from '../functions/domain/registry/index.js';
import {
  FUNCTION_KEYS,
  LOGICAL_IDS,
  functionName,
  roleLogicalId,
  stateMachineLogicalId,
  stateMachineName,
  type FunctionKey,
} from './names.js';

/** functions/domain/ledger: single-item reads and conditional updates (test/deploy/iam-coverage checks). */
const LEDGER_ACTIONS = ['dynamodb:GetItem', 'dynamodb:UpdateItem'];
/** The steps that change the routing or a channel read their incident's lock first (functions/steps/fenced-step.ts). */
const LOCK_READ = ['dynamodb:GetItem'];
/** Writes need the store's ETag (DescribeKeyValueStore) for If-Match. */
const KVS_WRITE = [
  'cloudfront-keyvaluestore:DescribeKeyValueStore',
  'cloudfront-keyvaluestore:GetKey',
  'cloudfront-keyvaluestore:PutKey',
  'cloudfront-keyvaluestore:DeleteKey',
];

/**
 * IAM allows 10,240 characters of inline policy per role
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html): a registry's channels are
 * listed one by one up to this many ARNs (~55 characters each); beyond it, a grant covers the account's
 * channels in the registry's regions (the steps still act only on registry channels: they look them up).
 */
export const MAX_LISTED_CHANNEL_ARNS = 40;

function channelGrant(ctx: DeployContext, sides: Side[]): string[] {
  const arns = mediaLiveChannelArns(ctx, sides);
  if (arns.length <= MAX_LISTED_CHANNEL_ARNS) return arns;
  const regions = [...new Set(ctx.registry.channels.flatMap((c) => sides.map((side) => c[side].region)))].sort();
  return regions.map((region) => `arn:aws:medialive:${region}:${ctx.accountId}:channel:*`);
}

function statement(sid: string, actions: string[], resources: CfnValue[]): PolicyStatement[] {
  // A registry with no matching resource (e.g. no cold standby) grants nothing rather than an empty list.
  return resources.length === 0 ? [] : [{ Sid: sid, Effect: 'Allow', Action: actions, Resource: resources }];
}

/** The statements of each function's policy, besides writing its own logs. */
export function functionStatements(ctx: DeployContext): Record<FunctionKey, PolicyStatement[]> {
  const ledger = [getAtt(LOGICAL_IDS.ledgerTable, 'Arn')];
  // The topic is encrypted with the stack's key: publishing needs the key too.
  const publish = (sid: string): PolicyStatement[] => [
    ...statement(sid, ['sns:Publish'], [ref(LOGICAL_IDS.notifyTopic)]),
    ...statement(`${sid}Encrypted`, ['kms:GenerateDataKey', 'kms:Decrypt'], [getAtt(LOGICAL_IDS.notifyKey, 'Arn')]),
  ];
  const allChannels = channelGrant(ctx, ['primary', 'standby']);
  const standbyChannels = channelGrant(ctx, ['standby']);
  // Only the distributions where a channel has an origin group of its own: the others are never read or updated.
  const distributions = distributionArns(ctx, (c) => c.edge.originGroupId !== undefined);
  // The registry's store, and the stack's own store when it creates one: until the registry names the
  // created store (see edge/README.md), the grant must cover both.
  const stores: CfnValue[] = [
    ...keyValueStoreArns(ctx),
    ...(ctx.edgeStore === 'create' ? [getAtt(EDGE_STORE_LOGICAL_ID, 'Arn')] : []),
  ];
  return {
    triage: [
      // ...and the re-check of an outage the dwell held back, when the dwell ends.
      ...statement('StartIncidentExecutions', ['states:StartExecution'], [ref(stateMachineLogicalId('failover')), ref(stateMachineLogicalId('failback')), ref(stateMachineLogicalId('recheck'))]),
      // A lock whose execution is no longer RUNNING is taken over, not joined.
      ...statement('ReadIncidentExecutions', ['states:DescribeExecution'], [executionArns(ctx, stateMachineName(ctx, 'failover')), executionArns(ctx, stateMachineName(ctx, 'failback'))]),
      ...statement('Ledger', LEDGER_ACTIONS, ledger),
      // DescribeChannel confirms a signal; ListTagsForResource reads the flatline:drill=allowed tag of a Drill Requested.
      ...statement('ReadChannels', ['medialive:DescribeChannel', 'medialive:ListTagsForResource'], allChannels),
      // Pages when an incident cannot start (e.g. both sides down).
      ...publish('Page'),
      // The async on-failure destination is delivered with the function's own role.
      ...statement('OnFailureDestination', ['sqs:SendMessage'], [getAtt(LOGICAL_IDS.triageDeadLetterQueue, 'Arn')]),
    ],
    probe: statement('PutManifestEvents', ['events:PutEvents'], [flatlineEventBusArn(ctx)]),
    snapshotRouting: [
      ...statement('ReadStandbyChannel', ['medialive:DescribeChannel'], standbyChannels),
      ...statement('ReadOriginGroups', ['cloudfront:GetDistributionConfig'], distributions),
      ...statement('ReadRoutingKeys', ['cloudfront-keyvaluestore:GetKey'], stores),
      ...statement('SaveSnapshot', LEDGER_ACTIONS, ledger),
    ],
    // Failover starts the standby; failback may have to make sure the primary runs.
    ensureChannelRunning: [...statement('StartChannels', ['medialive:DescribeChannel', 'medialive:StartChannel'], allChannels), ...statement('ReadLock', LOCK_READ, ledger)],
    // Only ever a standby (a cold one after failback, or the rollback of a cold start): never a primary.
    ensureChannelStopped: [...statement('StopStandbyChannels', ['medialive:DescribeChannel', 'medialive:StopChannel'], standbyChannels), ...statement('ReadLock', LOCK_READ, ledger)],
    checkManifestFresh: [], // HTTP fetches only.
    setEdgeRoute: [...statement('WriteRouteKeys', KVS_WRITE, stores), ...statement('ReadLock', LOCK_READ, ledger)],
    setOriginGroup: [...statement('ReorderOriginGroups', ['cloudfront:GetDistributionConfig', 'cloudfront:UpdateDistribution'], distributions), ...statement('ReadLock', LOCK_READ, ledger)],
    setSlate: [...statement('WriteSlateKeys', KVS_WRITE, stores), ...statement('ReadLock', LOCK_READ, ledger)],
    notify: publish('Notify'),
    finishIncident: statement('Ledger', LEDGER_ACTIONS, ledger),
  };
}

export function functionRoles(ctx: DeployContext): CfnResources {
  const statements = functionStatements(ctx);
  const resources: CfnResources = {};
  for (const key of FUNCTION_KEYS) {
    const name = functionName(ctx, key);
    const writeLogs: PolicyStatement = {
      Sid: 'WriteOwnLogs',
      Effect: 'Allow',
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      Resource: [logGroupArn(ctx, `/aws/lambda/${name}`)],
    };
    resources[roleLogicalId(key)] = {
      Type: 'AWS::IAM::Role',
      Properties: {
        Description: `flatline ${ctx.stage}: role of the ${key} function`,
        AssumeRolePolicyDocument: {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
        },
        Policies: [
          {
            PolicyName: name,
            PolicyDocument: { Version: '2012-10-17', Statement: [writeLogs, ...statements[key]] },
          },
        ],
      },
    };
  }
  return resources;
}
