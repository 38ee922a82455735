// Packages the real serverless.yml once (osls + serverless-esbuild + serverless-step-functions, offline,
// dummy credentials) and checks the CloudFormation it generates against the example registry.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildEdgeRouter } from '../../edge/build.js';
import { METRIC_DIMENSIONS } from '../../functions/probe/metrics.js';
import { DEFAULT_MAX_EVENT_AGE_MS } from '../../functions/domain/policy/index.js';
import { maxEventAgeMs } from '../../functions/triage/deps.js';
import { matchesPattern, type Pattern } from '../../sandbox/aws/event-pattern.js';
import { readRegistryFile } from '../../functions/domain/registry/file.js';
import type { Registry } from '../../functions/domain/registry/index.js';
import { actionProblems, actionUses, conditionProblems, specProblems } from './cfn-spec.js';
import { makeServiceDir, REPO, runServerless, type ServiceDir } from './service-dir.js';
import { identityStatements, isMutating, ofType, readTemplate, resource, zipEntries, type Template } from './template.js';

const STAGE = 'example';
const ACCOUNT = '123456789012'; // the account of the example registry's KVS ARN
const HANDLERS: Record<string, string> = {
  triage: 'functions/triage/handler.handler',
  probe: 'functions/probe/handler.handler',
  snapshotRouting: 'functions/steps/snapshot-routing/handler.handler',
  ensureChannelRunning: 'functions/steps/ensure-channel-running/handler.handler',
  ensureChannelStopped: 'functions/steps/ensure-channel-stopped/handler.handler',
  checkManifestFresh: 'functions/steps/check-manifest-fresh/handler.handler',
  setEdgeRoute: 'functions/steps/set-edge-route/handler.handler',
  setOriginGroup: 'functions/steps/set-origin-group/handler.handler',
  setSlate: 'functions/steps/set-slate/handler.handler',
  notify: 'functions/steps/notify/handler.handler',
  finishIncident: 'functions/steps/finish-incident/handler.handler',
};
const upperFirst = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
const getAtt = (id: string, attr = 'Arn') => ({ 'Fn::GetAtt': [id, attr] });
const DLQ_ARN = getAtt('TriageDeadLetterQueue');
/** The CloudWatch Logs vended-delivery actions have no resource-level permissions (AWS requires "*"). */
const LOG_DELIVERY_ACTIONS = [
  'logs:CreateLogDelivery',
  'logs:GetLogDelivery',
  'logs:UpdateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:ListLogDeliveries',
  'logs:PutResourcePolicy',
  'logs:DescribeResourcePolicies',
  'logs:DescribeLogGroups',
];

let service: ServiceDir;
let template: Template;
let registry: Registry;

beforeAll(async () => {
  registry = readRegistryFile(join(REPO, 'config', 'registry.example.yml'));
  service = makeServiceDir(STAGE);
  const run = await runServerless(service.dir, ['package', '--stage', STAGE, '--package', service.out]);
  if (run.code !== 0) throw new Error(`serverless package failed (${run.code}):\n${run.output}`);
  template = readTemplate(join(service.out, 'cloudformation-template-update-stack.json'));
}, 240_000);

afterAll(() => service?.cleanup());

const channelArn = (region: string, id: string): string => `arn:aws:medialive:${region}:${ACCOUNT}:channel:${id}`;
const allChannelArns = (): string[] =>
  registry.channels.flatMap((c) => [channelArn(c.primary.region, c.primary.channelId), channelArn(c.standby.region, c.standby.channelId)]);
const standbyChannelArns = (): string[] => registry.channels.map((c) => channelArn(c.standby.region, c.standby.channelId));
const roleStatements = (roleId: string) => identityStatements(template).filter((s) => s.owner === roleId);
const grantsOf = (roleId: string, action: string): unknown[] =>
  roleStatements(roleId)
    .filter((s) => s.statement.Effect === 'Allow' && s.actions.includes(action))
    .flatMap((s) => s.resources);

describe('functions', () => {
  it('packages every function, bundled, for nodejs22.x, with its own role and the registry', () => {
    const functions = ofType(template, 'AWS::Lambda::Function');
    expect(functions.map(([id]) => id).sort()).toEqual(Object.keys(HANDLERS).map((k) => `${upperFirst(k)}LambdaFunction`).sort());
    for (const [key, handler] of Object.entries(HANDLERS)) {
      const fn = resource(template, `${upperFirst(key)}LambdaFunction`).Properties;
      expect(fn.Runtime, key).toBe('nodejs22.x');
      expect(fn.Handler, key).toBe(handler);
      expect(fn.FunctionName, key).toBe(`flatline-${STAGE}-${key}`);
      expect(fn.Role, key).toEqual(getAtt(`${upperFirst(key)}Role`));
      const env = (fn.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(env.FLATLINE_REGISTRY, key).toBe(`dist/registry.${STAGE}.json`);
      expect(env.FLATLINE_STAGE, key).toBe(STAGE);
      expect(env.LEDGER_TABLE, key).toEqual({ Ref: 'LedgerTable' });
      expect(env.NOTIFY_TOPIC_ARN, key).toEqual({ Ref: 'NotifyTopic' });
      expect(env.POWERTOOLS_METRICS_NAMESPACE, key).toBe('Flatline');
      // One bundled file (no node_modules) plus the registry the handler loads at FLATLINE_REGISTRY, compiled to JSON.
      const entries = zipEntries(join(service.out, `${key}.zip`)).filter((e) => !e.endsWith('/'));
      expect(entries.sort(), key).toEqual([`dist/registry.${STAGE}.json`, handler.replace(/\.handler$/, '.js')].sort());
    }
    // No function falls back to the framework's shared role.
    expect(template.Resources.IamRoleLambdaExecution).toBeUndefined();
  });

  it('gives triage the state machine ARNs, its event-age bound, bounded async retries and the DLQ as on-failure destination', () => {
    const env = (resource(template, 'TriageLambdaFunction').Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(env.FAILOVER_STATE_MACHINE_ARN).toEqual({ Ref: 'FailoverStateMachine' });
    expect(env.FAILBACK_STATE_MACHINE_ARN).toEqual({ Ref: 'FailbackStateMachine' });
    // The account of the MediaLive ARNs its rule matches: the registry's, as in the rule's pattern.
    expect(env.FLATLINE_ACCOUNT_ID).toBe('123456789012');
    // custom.flatline.maxEventAgeSeconds (300), which triage reads as the policy's own default.
    expect(env.FLATLINE_MAX_EVENT_AGE_SECONDS).toBe('300');
    expect(maxEventAgeMs({ FLATLINE_MAX_EVENT_AGE_SECONDS: env.FLATLINE_MAX_EVENT_AGE_SECONDS as string })).toBe(DEFAULT_MAX_EVENT_AGE_MS);
    const config = ofType(template, 'AWS::Lambda::EventInvokeConfig').find(([, r]) => JSON.stringify(r.Properties.FunctionName).includes('TriageLambdaFunction'));
    expect(config?.[1].Properties).toMatchObject({ MaximumRetryAttempts: 2, DestinationConfig: { OnFailure: { Destination: DLQ_ARN } } });
  });

  it('runs the probe every minute with a 60 s budget and its tick interval', () => {
    const probe = resource(template, 'ProbeLambdaFunction').Properties;
    expect(probe.Timeout).toBe(60);
    expect((probe.Environment as { Variables: Record<string, unknown> }).Variables.PROBE_TICK_MS).toBe('2000');
    const schedules = ofType(template, 'AWS::Events::Rule').filter(([, r]) => r.Properties.ScheduleExpression !== undefined);
    expect(schedules).toHaveLength(1);
    // The example fleet fits one shard.
    expect(schedules[0]![1].Properties).toMatchObject({
      Name: `flatline-${STAGE}-probe`,
      ScheduleExpression: 'rate(1 minute)',
      Targets: [{ Arn: getAtt('ProbeLambdaFunction'), Input: JSON.stringify({ shard: '0/1' }) }],
    });
  });
});

describe('triage EventBridge rules', () => {
  const rule = (name: string) => {
    const found = ofType(template, 'AWS::Events::Rule').filter(([, r]) => r.Properties.Name === `flatline-${STAGE}-triage-${name}`);
    expect(found, name).toHaveLength(1);
    return found[0]![1].Properties;
  };

  it('matches exactly the flatline alarms, the registry channels, the probe and the operators', () => {
    expect(rule('alarms').EventPattern).toEqual({
      source: ['aws.cloudwatch'],
      'detail-type': ['CloudWatch Alarm State Change'],
      account: [ACCOUNT],
      region: ['us-west-2'],
      detail: { alarmName: [{ prefix: `flatline-${STAGE}-` }] },
    });
    // No channel is listed anywhere: triage checks membership against the registry.
    expect(rule('medialive').EventPattern).toEqual({
      source: ['aws.medialive'],
      'detail-type': ['MediaLive Channel Alert', 'MediaLive Channel State Change', 'MediaLive Channel Input Change'],
      account: [ACCOUNT],
      region: ['us-east-1', 'us-west-2'],
    });
    expect(rule('probe').EventPattern).toEqual({
      source: ['flatline.probe'],
      'detail-type': ['Manifest Stale', 'Manifest Fresh'],
      account: [ACCOUNT],
      region: ['us-west-2'],
    });
    expect(rule('ops').EventPattern).toEqual({
      source: ['flatline.ops'],
      'detail-type': ['Failover Requested', 'Failback Requested', 'Drill Requested'],
      account: [ACCOUNT],
      region: ['us-west-2'],
    });
  });

  it("targets triage with retries and the dead-letter queue: AWS's events on the default bus, flatline's on its own", () => {
    for (const name of ['alarms', 'medialive', 'probe', 'ops']) {
      const props = rule(name);
      expect(props.EventBusName, name).toEqual(['probe', 'ops'].includes(name) ? { Ref: 'FlatlineEventBus' } : undefined);
      expect(props.Targets, name).toMatchObject([{ Arn: getAtt('TriageLambdaFunction'), DeadLetterConfig: { Arn: DLQ_ARN } }]);
    }
  });

  it('routes every replayable sample event to exactly one rule, and drops what is not flatline\'s', () => {
    const patterns = ofType(template, 'AWS::Events::Rule')
      .filter(([, r]) => r.Properties.EventPattern !== undefined)
      .map(([, r]) => [r.Properties.Name as string, r.Properties.EventPattern as Pattern] as const);
    const load = (dir: string) =>
      readdirSync(join(REPO, dir))
        .filter((f) => f.endsWith('.json'))
        .map((f) => [f, JSON.parse(readFileSync(join(REPO, dir, f), 'utf8')) as unknown] as const);
    const samples = load('events');
    expect(samples.length).toBeGreaterThan(10);
    for (const [file, event] of samples) {
      // The standby-path alarm is a real alarm name too; it matches the rule and triage decides.
      expect(patterns.filter(([, p]) => matchesPattern(p, event)).map(([n]) => n), file).toHaveLength(1);
    }
    // Events of other accounts or sources never reach triage (matcher: sandbox/aws/event-pattern.ts).
    const foreign = [
      ...load('events/malformed').filter(([f]) => ['not-a-flatline-alarm.json', 'unknown-source.json'].includes(f)),
      ['real medialive-channel-alert.json', JSON.parse(readFileSync(new URL('../fixtures/events/medialive-channel-alert.json', import.meta.url), 'utf8'))] as const,
    ];
    expect(foreign).toHaveLength(3);
    // A channel of our account that is not in the registry does reach triage, which dead-letters it with the reason.
    const [[, unknownChannel]] = load('events/malformed').filter(([f]) => f === 'unknown-channel-medialive.json') as [[string, unknown]];
    expect(patterns.filter(([, p]) => matchesPattern(p, unknownChannel)).map(([n]) => n)).toEqual([`flatline-${STAGE}-triage-medialive`]);
    for (const [file, event] of foreign) expect(patterns.filter(([, p]) => matchesPattern(p, event)).map(([n]) => n), file).toEqual([]);
  });

  it('lets only the triage rules write to the dead-letter queue, and pages when it is not empty', () => {
    const policy = resource(template, 'TriageDeadLetterQueuePolicy').Properties as {
      Queues: unknown[];
      PolicyDocument: { Statement: Array<{ Principal: unknown; Action: string; Condition: { ArnEquals: Record<string, string[]> } }> };
    };
    expect(policy.Queues).toEqual([{ Ref: 'TriageDeadLetterQueue' }]);
    const [statement] = policy.PolicyDocument.Statement;
    expect(statement?.Principal).toEqual({ Service: 'events.amazonaws.com' });
    expect(statement?.Action).toBe('sqs:SendMessage');
    const ruleArns = ofType(template, 'AWS::Events::Rule')
      .filter(([, r]) => (r.Properties.Name as string).includes('-triage-'))
      .map(([, r]) => `arn:aws:events:us-west-2:${ACCOUNT}:rule/${r.Properties.EventBusName ? `flatline-${STAGE}/` : ''}${r.Properties.Name as string}`);
    expect(ruleArns).toHaveLength(4);
    expect(statement?.Condition.ArnEquals['aws:SourceArn']?.sort()).toEqual(ruleArns.sort());
    expect(resource(template, 'TriageDeadLetterQueueAlarm').Properties).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      AlarmActions: [{ Ref: 'NotifyTopic' }],
    });
  });
});

describe('state machines', () => {
  const taskFunctions = (asl: unknown): string[] => {
    const found: string[] = [];
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(walk);
      else if (node && typeof node === 'object') {
        const o = node as Record<string, unknown>;
        const getAttValue = (o.Resource as { 'Fn::GetAtt'?: [string, string] } | undefined)?.['Fn::GetAtt'];
        if (o.Type === 'Task' && getAttValue) found.push(getAttValue[0]);
        Object.values(o).forEach(walk);
      }
    };
    walk(asl);
    return [...new Set(found)].sort();
  };

  for (const key of ['failover', 'failback'] as const) {
    it(`${key}: STANDARD, named, logged, tasks resolved to the step functions`, () => {
      const sm = resource(template, `${upperFirst(key)}StateMachine`).Properties;
      expect(sm.StateMachineName).toBe(`flatline-${STAGE}-${key}`);
      expect(sm.StateMachineType).toBe('STANDARD');
      expect(sm.LoggingConfiguration).toMatchObject({
        Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: getAtt(`${upperFirst(key)}StateMachineLogGroup`) } }],
      });
      const asl = JSON.parse(readFileSync(join(REPO, 'statemachines', `${key}.asl.json`), 'utf8')) as unknown;
      const expected = taskFunctions(asl);
      expect(expected.length).toBeGreaterThan(0);
      // serverless-step-functions turns each GetAtt into a ${placeholder} of an Fn::Sub.
      const [body, substitutions] = (sm.DefinitionString as { 'Fn::Sub': [string, Record<string, { 'Fn::GetAtt': [string, string] }>] })['Fn::Sub'];
      const referenced = Object.entries(substitutions).filter(([placeholder]) => body.includes(`\${${placeholder}}`));
      expect([...new Set(referenced.map(([, v]) => v['Fn::GetAtt'][0]))].sort()).toEqual(expected);
      for (const id of expected) expect(template.Resources[id]?.Type, id).toBe('AWS::Lambda::Function');
      // The machine's role may invoke exactly those functions (and their versions), nothing else.
      const invokable = grantsOf(`${upperFirst(key)}StateMachineRole`, 'lambda:InvokeFunction');
      const functionsInvoked = new Set(invokable.map((r) => JSON.stringify(r).match(/"(\w+LambdaFunction)"/)?.[1]));
      expect([...functionsInvoked].sort()).toEqual(expected);
    });

    it(`${key}: alarms on failed and timed-out executions page the topic`, () => {
      const alarms = ofType(template, 'AWS::CloudWatch::Alarm')
        .map(([, r]) => r.Properties)
        .filter((p) => p.Namespace === 'AWS/States' && JSON.stringify(p.Dimensions).includes(`${upperFirst(key)}StateMachine`));
      expect(alarms.map((a) => a.MetricName).sort()).toEqual(['ExecutionsFailed', 'ExecutionsTimedOut']);
      for (const a of alarms) expect(a.AlarmActions).toEqual([{ Ref: 'NotifyTopic' }]);
    });
  }
});

describe('the outage re-check machine', () => {
  it('is STANDARD, named, logged, alarmed, and invokes triage by name only (a GetAtt would close a dependency cycle)', () => {
    const sm = resource(template, 'RecheckStateMachine').Properties;
    expect(sm.StateMachineName).toBe(`flatline-${STAGE}-recheck`);
    expect(sm.StateMachineType).toBe('STANDARD');
    expect(sm.LoggingConfiguration).toMatchObject({ Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: getAtt('RecheckStateMachineLogGroup') } }] });
    expect(JSON.stringify(sm.DefinitionString)).not.toContain('TriageLambdaFunction');
    expect(JSON.stringify(sm.DefinitionString)).toContain(`flatline-${STAGE}-triage`);
    const invokable = grantsOf('RecheckStateMachineRole', 'lambda:InvokeFunction');
    expect(invokable.length).toBeGreaterThan(0);
    for (const r of invokable) expect(JSON.stringify(r)).toMatch(new RegExp(`function:flatline-${STAGE}-triage`));
    const alarms = ofType(template, 'AWS::CloudWatch::Alarm')
      .map(([, r]) => r.Properties)
      .filter((p) => p.Namespace === 'AWS/States' && JSON.stringify(p.Dimensions).includes('RecheckStateMachine'));
    expect(alarms.map((a) => a.MetricName).sort()).toEqual(['ExecutionsFailed', 'ExecutionsTimedOut']);
  });
});

describe('IAM', () => {
  it('has no "*" resource on any mutating action (except log delivery, which has no resource-level permissions)', () => {
    const statements = identityStatements(template).filter((s) => s.statement.Effect === 'Allow');
    expect(statements.length).toBeGreaterThan(20);
    const offending = statements.flatMap((s) =>
      s.actions
        .filter((a) => a === '*' || a.endsWith(':*') || (isMutating(a) && s.resources.includes('*')))
        .filter((a) => !LOG_DELIVERY_ACTIONS.includes(a))
        .map((a) => `${s.owner}: ${a} on ${JSON.stringify(s.resources)}`),
    );
    expect(offending).toEqual([]);
    // The exception is confined to the state machines' roles.
    const starOwners = new Set(statements.filter((s) => s.resources.includes('*')).map((s) => s.owner));
    expect([...starOwners].sort()).toEqual(['FailbackStateMachineRole', 'FailoverStateMachineRole', 'RecheckStateMachineRole']);
  });

  it('scopes MediaLive to the registry channels: any side may start, only standbys may stop', () => {
    expect(grantsOf('EnsureChannelRunningRole', 'medialive:StartChannel').sort()).toEqual(allChannelArns().sort());
    expect(grantsOf('EnsureChannelStoppedRole', 'medialive:StopChannel').sort()).toEqual(standbyChannelArns().sort());
    expect(grantsOf('TriageRole', 'medialive:DescribeChannel').sort()).toEqual(allChannelArns().sort());
    expect(grantsOf('SnapshotRoutingRole', 'medialive:DescribeChannel').sort()).toEqual(standbyChannelArns().sort());
    for (const role of ['TriageRole', 'SnapshotRoutingRole', 'SetOriginGroupRole', 'NotifyRole', 'ProbeRole'])
      expect(grantsOf(role, 'medialive:StartChannel'), role).toEqual([]);
  });

  it('scopes CloudFront, the KeyValueStore, SNS, DynamoDB, SFN and EventBridge to their resources', () => {
    const distributions = [...new Set(registry.channels.map((c) => `arn:aws:cloudfront::${ACCOUNT}:distribution/${c.edge.distributionId}`))];
    expect(grantsOf('SetOriginGroupRole', 'cloudfront:UpdateDistribution')).toEqual(distributions);
    expect(grantsOf('SnapshotRoutingRole', 'cloudfront:GetDistributionConfig')).toEqual(distributions);
    const stores = [...new Set(registry.channels.map((c) => c.edge.kvsArn)), getAtt('EdgeRouterKeyValueStore')];
    for (const role of ['SetEdgeRouteRole', 'SetSlateRole']) {
      expect(grantsOf(role, 'cloudfront-keyvaluestore:PutKey'), role).toEqual(stores);
      expect(grantsOf(role, 'cloudfront-keyvaluestore:DeleteKey'), role).toEqual(stores);
    }
    expect(grantsOf('SnapshotRoutingRole', 'cloudfront-keyvaluestore:PutKey')).toEqual([]);
    expect(grantsOf('NotifyRole', 'sns:Publish')).toEqual([{ Ref: 'NotifyTopic' }]);
    for (const role of ['TriageRole', 'FinishIncidentRole', 'SnapshotRoutingRole'])
      expect(grantsOf(role, 'dynamodb:UpdateItem'), role).toEqual([getAtt('LedgerTable')]);
    expect(grantsOf('TriageRole', 'states:StartExecution')).toEqual([{ Ref: 'FailoverStateMachine' }, { Ref: 'FailbackStateMachine' }, { Ref: 'RecheckStateMachine' }]);
    expect(grantsOf('TriageRole', 'sqs:SendMessage')).toEqual([DLQ_ARN]);
    expect(grantsOf('ProbeRole', 'events:PutEvents')).toEqual([`arn:aws:events:us-west-2:${ACCOUNT}:event-bus/flatline-${STAGE}`]);
    for (const role of ['NotifyRole', 'TriageRole']) expect(grantsOf(role, 'kms:GenerateDataKey'), role).toEqual([getAtt('NotifyTopicKey')]);
    expect(grantsOf('TriageRole', 'medialive:ListTagsForResource').sort()).toEqual(allChannelArns().sort());
    // Each function writes only its own log group.
    for (const key of Object.keys(HANDLERS))
      expect(grantsOf(`${upperFirst(key)}Role`, 'logs:PutLogEvents'), key).toEqual([
        `arn:aws:logs:us-west-2:${ACCOUNT}:log-group:/aws/lambda/flatline-${STAGE}-${key}:*`,
      ]);
  });

  it('gives the functions that need no AWS API nothing beyond their logs', () => {
    const actions = roleStatements('CheckManifestFreshRole').flatMap((s) => s.actions);
    expect(actions.sort()).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
  });
});

describe('detection resources', () => {
  it('has a high-resolution ManifestAge alarm per CRITICAL channel for the edge and the primary, with the dimensions the probe emits', () => {
    const alarms = ofType(template, 'AWS::CloudWatch::Alarm')
      .map(([, r]) => r.Properties)
      .filter((p) => p.MetricName === 'ManifestAge');
    const critical = registry.channels.filter((c) => c.critical);
    expect(critical.length).toBeGreaterThan(0);
    expect(critical.length).toBeLessThan(registry.channels.length);
    expect(alarms).toHaveLength(critical.length * 2);
    for (const channel of critical) {
      for (const path of ['edge', 'primary']) {
        const name = `flatline-${STAGE}-${channel.id}-manifest-age-${path}`;
        const alarm = alarms.find((a) => a.AlarmName === name);
        expect(alarm, name).toBeDefined();
        expect(alarm).toMatchObject({
          Namespace: 'Flatline',
          Period: 10,
          Statistic: 'Maximum',
          ComparisonOperator: 'GreaterThanThreshold',
          TreatMissingData: 'breaching',
          DatapointsToAlarm: channel.policy.consecutive,
          EvaluationPeriods: channel.policy.consecutive + 1,
          // staleAfterTargetDurations x the assumed 6 s target duration, in ms like the metric
          Threshold: channel.policy.staleAfterTargetDurations * 6 * 1000,
        });
        expect(alarm?.Dimensions).toEqual([
          { Name: 'Channel', Value: channel.id },
          { Name: 'Path', Value: path },
        ]);
        // Exactly the dimension set functions/probe/metrics.ts emits.
        expect((alarm?.Dimensions as Array<{ Name: string }>).map((d) => d.Name)).toEqual([...METRIC_DIMENSIONS]);
        // Its state changes reach triage: the alarm rule's prefix matches it.
        expect(name.startsWith(`flatline-${STAGE}-`)).toBe(true);
      }
    }
    // ...and no other alarm does (they page humans, they are not outage signals).
    const others = ofType(template, 'AWS::CloudWatch::Alarm')
      .map(([, r]) => r.Properties.AlarmName as string)
      .filter((n) => !n.includes('-manifest-age-'));
    expect(others.length).toBeGreaterThan(0);
    for (const n of others) expect(n.startsWith(`flatline-${STAGE}-`), n).toBe(false);
  });

  it('pages the on-call topic when a probe shard stops ticking: its Heartbeat, missing data breaching, not routed to triage', () => {
    const alarms = ofType(template, 'AWS::CloudWatch::Alarm')
      .map(([, r]) => r.Properties)
      .filter((p) => p.MetricName === 'Heartbeat');
    // One per scheduled shard, on exactly the {Shard} value the schedule hands the handler.
    const shards = ofType(template, 'AWS::Events::Rule')
      .flatMap(([, r]) => (r.Properties.Targets as Array<{ Input?: string }> | undefined) ?? [])
      .flatMap((t) => (t.Input ? [(JSON.parse(t.Input) as { shard?: string }).shard] : []))
      .filter((x): x is string => typeof x === 'string');
    expect(shards).toEqual(['0/1']);
    expect(alarms.map((a) => a.Dimensions)).toEqual(shards.map((shard) => [{ Name: 'Shard', Value: shard }]));
    expect(alarms[0]).toMatchObject({
      AlarmName: `flatline-ops-${STAGE}-probe-heartbeat-0-of-1`,
      Namespace: 'Flatline',
      Statistic: 'Sum',
      Period: 60,
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 1,
      TreatMissingData: 'breaching',
      AlarmActions: [{ Ref: 'NotifyTopic' }],
    });
    expect((alarms[0]?.AlarmName as string).startsWith(`flatline-${STAGE}-`)).toBe(false);
  });

  it('has one fleet alarm per alarmed path on a Metrics Insights query grouped by channel, to the topic', () => {
    const fleet = ofType(template, 'AWS::CloudWatch::Alarm')
      .map(([, r]) => r.Properties)
      .filter((p) => Array.isArray(p.Metrics));
    expect(fleet.map((a) => a.AlarmName).sort()).toEqual([`flatline-ops-${STAGE}-stale-channels-edge`, `flatline-ops-${STAGE}-stale-channels-primary`]);
    for (const a of fleet) {
      const [query] = a.Metrics as Array<{ Expression: string; Period: number; ReturnData: boolean }>;
      expect(query?.Expression).toMatch(/^SELECT MAX\(ManifestAge\) FROM SCHEMA\("Flatline", Channel, Path\) WHERE Path = '(edge|primary)' GROUP BY Channel/);
      expect(a).toMatchObject({ Threshold: 9000, TreatMissingData: 'notBreaching', AlarmActions: [{ Ref: 'NotifyTopic' }] });
    }
  });

  it('has a dashboard by shard, the top stalest channels, every alarm, the critical channels and the executions', () => {
    const body = resource(template, 'FlatlineDashboard').Properties.DashboardBody as { 'Fn::Sub': string };
    const dashboard = JSON.parse(body['Fn::Sub']) as { widgets: Array<{ type: string; properties: { title: string; metrics: unknown[][]; alarms?: string[] } }> };
    const expressions = dashboard.widgets.flatMap((w) => (w.properties.metrics ?? []).flatMap((m) => m.map((x) => (x as { expression?: string }).expression).filter(Boolean)));
    expect(expressions.some((e) => /GROUP BY Shard/.test(e!))).toBe(true);
    // A saturated shard: how late its fetches start after they are due.
    expect(expressions.some((e) => /MAX\(FetchLag\) FROM SCHEMA\("Flatline", Shard\) GROUP BY Shard/.test(e!))).toBe(true);
    expect(expressions.some((e) => /GROUP BY Channel ORDER BY MAX\(\) DESC LIMIT 20/.test(e!))).toBe(true);
    const alarmNames = ofType(template, 'AWS::CloudWatch::Alarm').map(([, r]) => r.Properties.AlarmName as string);
    const shown = dashboard.widgets.flatMap((w) => w.properties.alarms ?? []).map((arn) => arn.split(':alarm:')[1]);
    expect(shown.sort()).toEqual([...alarmNames].sort());
    for (const channel of registry.channels.filter((c) => c.critical)) {
      const widget = dashboard.widgets.find((w) => w.properties.title.startsWith(`${channel.id}:`));
      const lines = widget?.properties.metrics.map((m) => m.slice(0, 6)) ?? [];
      expect(lines, channel.id).toEqual(
        ['edge', 'primary', 'standby'].map((path) => ['Flatline', 'ManifestAge', 'Channel', channel.id, 'Path', path]),
      );
    }
    const executions = dashboard.widgets.find((w) => w.properties.metrics?.some((m) => m[0] === 'AWS/States'));
    const arns = new Set(executions?.properties.metrics.map((m) => m[3]));
    expect([...arns].sort()).toEqual(['${FailbackStateMachine}', '${FailoverStateMachine}', '${RecheckStateMachine}']);
  });
});

describe('stateful and edge resources', () => {
  it('has the ledger table keyed by channelId, the topic and the DLQ', () => {
    expect(resource(template, 'LedgerTable').Properties).toMatchObject({
      TableName: `flatline-${STAGE}-ledger`,
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: 'channelId', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'channelId', AttributeType: 'S' }],
    });
    expect(resource(template, 'NotifyTopic').Type).toBe('AWS::SNS::Topic');
    expect(resource(template, 'TriageDeadLetterQueue').Type).toBe('AWS::SQS::Queue');
  });

  it('keeps data at rest encrypted and recoverable, and its logs for the configured time', () => {
    expect(resource(template, 'NotifyTopic').Properties.KmsMasterKeyId).toEqual(getAtt('NotifyTopicKey'));
    const key = resource(template, 'NotifyTopicKey').Properties as { EnableKeyRotation: boolean; KeyPolicy: { Statement: Array<{ Principal: unknown; Action: unknown }> } };
    expect(key.EnableKeyRotation).toBe(true);
    // CloudWatch alarm actions publish to the encrypted topic: the key lets CloudWatch use it.
    expect(key.KeyPolicy.Statement.find((st) => JSON.stringify(st.Principal).includes('cloudwatch.amazonaws.com'))?.Action).toEqual(['kms:Decrypt', 'kms:GenerateDataKey*']);
    const topicPolicy = resource(template, 'NotifyTopicPolicy').Properties as { Topics: unknown[]; PolicyDocument: { Statement: Array<{ Sid: string; Effect: string }> } };
    expect(topicPolicy.Topics).toEqual([{ Ref: 'NotifyTopic' }]);
    expect(topicPolicy.PolicyDocument.Statement.map((st) => `${st.Effect} ${st.Sid}`)).toEqual(['Allow CloudWatchAlarmsOfThisAccount', 'Deny TlsOnly']);
    expect(resource(template, 'TriageDeadLetterQueue').Properties.SqsManagedSseEnabled).toBe(true);
    expect(resource(template, 'LedgerTable').Properties).toMatchObject({
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      DeletionProtectionEnabled: true,
    });
    const logGroups = ofType(template, 'AWS::Logs::LogGroup');
    expect(logGroups.length).toBeGreaterThanOrEqual(11 + 2);
    for (const [id, lg] of logGroups) expect(lg.Properties.RetentionInDays, id).toBe(30); // custom.flatline.logRetentionDays
  });

  it('pages the topic on triage errors, dead letters, failed and timed-out executions', () => {
    const ops = ofType(template, 'AWS::CloudWatch::Alarm')
      .map(([, r]) => r.Properties)
      .filter((p) => (p.AlarmName as string).startsWith(`flatline-ops-${STAGE}-`));
    const byName = Object.fromEntries(ops.map((p) => [p.AlarmName as string, p]));
    expect(byName[`flatline-ops-${STAGE}-triage-errors`]).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: `flatline-${STAGE}-triage` }],
    });
    for (const what of ['triage-errors', 'triage-dead-letters', 'failover-failed', 'failover-timed-out', 'failback-failed', 'failback-timed-out'])
      expect(byName[`flatline-ops-${STAGE}-${what}`]?.AlarmActions, what).toEqual([{ Ref: 'NotifyTopic' }]);
  });

  it("puts flatline's events on its own bus, whose policy lets only the operators request and only the probe report", () => {
    const bus = resource(template, 'FlatlineEventBus').Properties as { Name: string; Policy: { Statement: Array<Record<string, unknown>> } };
    expect(bus.Name).toBe(`flatline-${STAGE}`);
    const bySid = Object.fromEntries(bus.Policy.Statement.map((st) => [st.Sid as string, st]));
    expect(bySid.OpsOnlyFromOperators).toMatchObject({ Effect: 'Deny', Action: 'events:PutEvents', Condition: { StringEquals: { 'events:source': 'flatline.ops' } } });
    // No operator configured in the example stage: nobody may put flatline.ops.
    expect(bySid.OpsOnlyFromOperators?.Condition).not.toHaveProperty('ArnNotEquals');
    expect(bySid.ProbeOnlyFromTheProbe).toMatchObject({
      Effect: 'Deny',
      Condition: { StringEquals: { 'events:source': 'flatline.probe' }, ArnNotEquals: { 'aws:PrincipalArn': [getAtt('ProbeRole')] } },
    });
    expect(bySid.OnlyFlatlineSources).toMatchObject({ Effect: 'Deny', Condition: { StringNotEquals: { 'events:source': ['flatline.ops', 'flatline.probe'] } } });
    const env = resource(template, 'ProbeLambdaFunction').Properties.Environment as { Variables: Record<string, unknown> };
    expect(env.Variables.EVENT_BUS_NAME).toEqual({ Ref: 'FlatlineEventBus' });
  });

  it('has the edge router function (runtime 2.0, published, within 10 KB) associated with the stack\'s KeyValueStore', () => {
    expect(resource(template, 'EdgeRouterKeyValueStore').Type).toBe('AWS::CloudFront::KeyValueStore');
    const fn = resource(template, 'EdgeRouterFunction').Properties as {
      AutoPublish: boolean;
      FunctionCode: string;
      FunctionConfig: { Runtime: string; KeyValueStoreAssociations: unknown[] };
    };
    expect(fn.AutoPublish).toBe(true);
    expect(fn.FunctionConfig.Runtime).toBe('cloudfront-js-2.0');
    expect(fn.FunctionConfig.KeyValueStoreAssociations).toEqual([{ KeyValueStoreARN: getAtt('EdgeRouterKeyValueStore') }]);
    expect(Buffer.byteLength(fn.FunctionCode)).toBeLessThanOrEqual(10_240);
    // It carries no channel data: every channel's routing is read from the KeyValueStore (edge:<id>).
    expect(fn.FunctionCode).toBe(buildEdgeRouter().code);
    for (const channel of registry.channels) expect(fn.FunctionCode).not.toContain(channel.standby.originId);
  });

  it('has the /live/* cache policy with the route header in the key, and its id as an output for the operators', () => {
    const policy = resource(template, 'EdgeLiveCachePolicy');
    expect(policy.Type).toBe('AWS::CloudFront::CachePolicy');
    expect(policy.Properties.CachePolicyConfig).toMatchObject({
      Name: `flatline-${STAGE}-live`,
      ParametersInCacheKeyAndForwardedToOrigin: { HeadersConfig: { HeaderBehavior: 'whitelist', Headers: ['origin', 'x-flatline-route'] } },
    });
    expect(template.Outputs?.EdgeCachePolicyId).toEqual({ Description: expect.stringContaining('/live/*'), Value: { Ref: 'EdgeLiveCachePolicy' } });
  });
});

describe("checked against AWS's specifications (test/deploy/cfn-spec.ts names the packages and their sources)", () => {
  it('uses only resource types, properties (nested too) and attributes the CloudFormation specification knows, with every required property', () => {
    expect(specProblems(template)).toEqual([]);
  });

  it('names only IAM actions and condition keys of the Service Authorization Reference; every wildcard matches one', async () => {
    const uses = actionUses(template);
    // Role, trust, key, topic, queue and bus policies and the Lambda permissions are all read.
    for (const action of ['sts:AssumeRole', 'kms:GenerateDataKey*', 'sns:Publish', 'sqs:SendMessage', 'events:PutEvents', 'lambda:InvokeFunction', 'states:StartExecution'])
      expect(uses.map((u) => u.action), action).toContain(action);
    expect(await actionProblems(template)).toEqual([]);
    expect(await conditionProblems(template)).toEqual([]);
  });

  it('fails a copy of the template with a typo: unknown type, unknown property, missing required, bad attribute, bad action, bad condition', async () => {
    const broken = structuredClone(template);
    resource(broken, 'TriageDeadLetterQueuePolicy').Type = 'AWS::SQS::QueuePolicies';
    const table = resource(broken, 'LedgerTable').Properties as { PointInTimeRecoverySpecification?: unknown; KeySchema: Array<Record<string, unknown>> };
    Object.assign(table, { PointInTimeRecoverySpec: table.PointInTimeRecoverySpecification });
    delete table.PointInTimeRecoverySpecification;
    delete table.KeySchema[0]!.KeyType;
    resource(broken, 'NotifyTopic').Properties.KmsMasterKeyId = getAtt('NotifyTopicKey', 'KeyArn');
    const triage = identityStatements(broken).find((s) => s.owner === 'TriageRole' && s.actions.includes('states:StartExecution'))!;
    triage.statement.Action = [...triage.actions.map((a) => (a === 'states:StartExecution' ? 'states:StartExecutions' : a)), 'dynamodb:Gett*', 'medialve:DescribeChannel'];
    // A mistyped key in a Deny makes it deny nothing: here anyone could request a failover.
    const busPolicy = resource(broken, 'FlatlineEventBus').Properties.Policy as { Statement: Array<{ Sid: string; Condition: Record<string, Record<string, unknown>> }> };
    const opsOnly = busPolicy.Statement.find((st) => st.Sid === 'OpsOnlyFromOperators')!;
    opsOnly.Condition = { StringEqual: { 'events:sources': opsOnly.Condition.StringEquals!['events:source'] } };

    const problems = specProblems(broken);
    expect(problems).toHaveLength(4);
    expect(problems).toEqual(
      expect.arrayContaining([
        'TriageDeadLetterQueuePolicy: unknown resource type AWS::SQS::QueuePolicies',
        expect.stringMatching(/^LedgerTable \(AWS::DynamoDB::Table\): unknown property PointInTimeRecoverySpec \(known: .*PointInTimeRecoverySpecification/),
        'LedgerTable (AWS::DynamoDB::Table).KeySchema[0]: required property KeyType is missing',
        expect.stringMatching(/^NotifyTopic\.KmsMasterKeyId: Fn::GetAtt NotifyTopicKey\.KeyArn: AWS::KMS::Key has no attribute KeyArn \(has: Arn, KeyId\)/),
      ]),
    );
    const actions = await actionProblems(broken);
    expect(actions).toEqual([
      expect.stringMatching(/^TriageRole\..*: states:StartExecutions: states has no such action$/),
      expect.stringMatching(/^TriageRole\..*: dynamodb:Gett\*: dynamodb has no such action$/),
      expect.stringMatching(/^TriageRole\..*: medialve:DescribeChannel: no service medialve in the Service Authorization Reference$/),
    ]);
    expect(await conditionProblems(broken)).toEqual([
      'FlatlineEventBus.Policy.Statement[0] (OpsOnlyFromOperators): unknown condition operator StringEqual',
      'FlatlineEventBus.Policy.Statement[0] (OpsOnlyFromOperators): StringEqual: unknown condition key events:sources',
    ]);
    // The original is untouched and still passes.
    expect(specProblems(template)).toEqual([]);
  });
});
