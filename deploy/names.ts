// Names shared by serverless.yml, the generators and the tests. The framework's own conventions are
// repeated here on purpose (function names, logical ids) because CloudFormation refers to them.
import type { DeployContext } from './context.js';

/** The serverless.yml function keys (FIXED: the sandbox and the ASL refer to them). */
export const FUNCTION_KEYS = [
  'triage',
  'probe',
  'snapshotRouting',
  'ensureChannelRunning',
  'ensureChannelStopped',
  'checkManifestFresh',
  'setEdgeRoute',
  'setOriginGroup',
  'setSlate',
  'notify',
  'finishIncident',
] as const;
export type FunctionKey = (typeof FUNCTION_KEYS)[number];

export const STATE_MACHINES = ['failover', 'failback', 'recheck'] as const;
export type StateMachineKey = (typeof STATE_MACHINES)[number];

/** Logical ids pinned in serverless.yml (stepFunctions.stateMachines.<key>.id and resources). */
export const LOGICAL_IDS = {
  ledgerTable: 'LedgerTable',
  notifyTopic: 'NotifyTopic',
  triageDeadLetterQueue: 'TriageDeadLetterQueue',
  triageDeadLetterQueuePolicy: 'TriageDeadLetterQueuePolicy',
  dashboard: 'FlatlineDashboard',
  eventBus: 'FlatlineEventBus',
  notifyKey: 'NotifyTopicKey',
  notifyTopicPolicy: 'NotifyTopicPolicy',
} as const;

/** flatline's own bus: the probe's transitions and the operators' requests (sources flatline.probe, flatline.ops). */
export const flatlineEventBusName = (ctx: Pick<DeployContext, 'service' | 'stage'>): string => `${ctx.service}-${ctx.stage}`;

const upperFirst = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

/** The framework's function name: <service>-<stage>-<key>. */
export const functionName = (ctx: DeployContext, key: FunctionKey): string => `${ctx.service}-${ctx.stage}-${key}`;
/** The framework's logical id of a function: first letter uppercased + 'LambdaFunction'. */
export const functionLogicalId = (key: FunctionKey): string => `${upperFirst(key)}LambdaFunction`;
/** Each function's own IAM role (serverless.yml: functions.<key>.role). */
export const roleLogicalId = (key: FunctionKey): string => `${upperFirst(key)}Role`;
export const stateMachineLogicalId = (key: StateMachineKey): string => `${upperFirst(key)}StateMachine`;
export const stateMachineName = (ctx: DeployContext, key: StateMachineKey): string => `${ctx.service}-${ctx.stage}-${key}`;
export const stateMachineLogGroupLogicalId = (key: StateMachineKey): string => `${upperFirst(key)}StateMachineLogGroup`;

/** Alarm names triage relies on: flatline-<stage>-<channelId>-manifest-age-<path>. */
export const manifestAgeAlarmName = (ctx: Pick<DeployContext, 'service' | 'stage'>, channelId: string, path: string): string =>
  `${ctx.service}-${ctx.stage}-${channelId}-manifest-age-${path}`;
/** Prefix of every alarm triage listens to (the EventBridge pattern filters on it). */
export const alarmNamePrefix = (ctx: DeployContext): string => `${ctx.service}-${ctx.stage}-`;

/** Explicit EventBridge rule names (serverless.yml eventBridge.name) so the DLQ policy can name them. */
export const TRIAGE_RULES = ['alarms', 'medialive', 'probe', 'ops'] as const;
export type TriageRule = (typeof TRIAGE_RULES)[number];
export const triageRuleName = (ctx: DeployContext, rule: TriageRule): string => `${ctx.service}-${ctx.stage}-triage-${rule}`;
/** The triage rules on flatline's own bus (the others are on the default bus, where AWS publishes). */
export const FLATLINE_BUS_RULES: readonly TriageRule[] = ['probe', 'ops'];
/** Alarms that page humans (outside the alarmNamePrefix that routes alarms to triage). */
export const opsAlarmName = (ctx: Pick<DeployContext, 'service' | 'stage'>, what: string): string => `${ctx.service}-ops-${ctx.stage}-${what}`;

/** CloudFormation logical ids allow only [A-Za-z0-9]: channel ids have dashes. */
export const logicalIdPart = (s: string): string =>
  s
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map(upperFirst)
    .join('');
