// The embedded AWS sandbox: one loopback HTTP server speaking the real wire protocols of MediaLive,
// CloudFront, CloudFront KeyValueStore, SNS, EventBridge and Step Functions (dispatched by the SigV4
// credential scope), plus dynalite for DynamoDB. The real SDK clients reach it through AWS_ENDPOINT_URL_*.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { edgeCachePolicyConfig } from '../../edge/cache-policy.js';
import { ledgerTableInput } from '../../functions/domain/ledger/ledger.js';
import { readRegistryFile, registrySourcePath, writeCompiledRegistry } from '../../functions/domain/registry/file.js';
import type { Registry } from '../../functions/domain/registry/index.js';
import type { SimChannel } from '../media/medialive-channel.js';
import { CallLog, type CallRecord } from './calls.js';
import { CloudFrontService } from './cloudfront.js';
import { CloudWatchAlarms } from './cloudwatch-alarms.js';
import { startDynalite, type LocalDynamo } from './dynamodb.js';
import { EventBridgeService, type DeadLetter, type EventEnvelope, type SandboxEvent } from './events.js';
import { BestEffortDelivery } from './best-effort.js';
import { FaultInjector, seededRandom, type FaultSpec } from './faults.js';
import { compressedMs, drawMs, lambdaInitMs, worldModel, type WorldModel } from '../world-model.js';
import { KeyValueStoreService } from './kvs.js';
import { InvocationAccess } from './lambda-env.js';
import { LambdaRuntime } from './lambda-runtime.js';
import { MediaLiveService } from './medialive.js';
import { loadServerlessConfig, type ServerlessConfig, type StateMachineConfig } from '../../deploy/serverless-config.js';
import { startServer, type SandboxServer } from './server.js';
import { StepFunctionsService, type ExecutionRecord } from './sfn.js';
import { SnsService, type SnsMessage } from './sns.js';
import { ACCOUNT_ID, type ServiceName } from './wire.js';

export type { CallRecord, SentRequest } from './calls.js';
export type { FaultSpec, FaultKind } from './faults.js';
export type { SandboxEvent, EventEnvelope, DeadLetter, Delivery } from './events.js';
export type { ExecutionRecord, TimelineEntry, ExecutionStatus } from './sfn.js';
export type { SnsMessage } from './sns.js';
export type { KvsChange } from './kvs.js';
export type { XmlNode } from './cloudfront.js';
export { matchesPattern } from './event-pattern.js';

export interface AwsSandboxOptions {
  /** The channel registry (default: the file at registryPath). */
  registry?: Registry;
  /** Its source file, YAML or JSON (default: FLATLINE_REGISTRY or config/registry.<FLATLINE_STAGE>.yml). */
  registryPath?: string;
  /**
   * serverless.yml to read functions, rules and state machines from (default ./serverless.yml; absent => none).
   * false: none (no Lambda handlers, no rules, no state machines but `stateMachines`), and a faster start.
   */
  serverlessPath?: string | false;
  /** More state machines (ARN arn:aws:states:<region>:<account>:stateMachine:<name>), e.g. a stand-in that a test stops itself. */
  stateMachines?: StateMachineConfig[];
  stage?: string;
  /** Control-plane region (AWS_REGION of the handlers; SFN, SNS and EventBridge live here). Default us-west-2. */
  region?: string;
  /** The ledger table (hash key channelId). */
  ledgerTable?: string;
  notifyTopicArn?: string;
  eventBusName?: string;
  /** Seed of the fault injector's and the world model's random draws. */
  seed?: number;
  /**
   * How unkind the services are (sandbox/world-model.ts): EventBridge delivery delays, best-effort MediaLive
   * events, slow distribution deploys and channel transitions, Step Functions times. Default: ideal (all at once);
   * explicit options below win over it.
   */
  world?: WorldModel;
  medialive?: {
    /** STARTING lasts this long (default 0). */
    startDelayMs?: number;
    stopDelayMs?: number;
    /** Publish SimChannel state/pipeline changes as MediaLive events (default true). */
    publishEvents?: boolean;
  };
  cloudfront?: { deployMs?: number };
  /** Initial KVS keys per store ARN. */
  kvs?: Record<string, Record<string, string>>;
  sfn?: {
    timeScale?: number;
    /** Static Wait Seconds over 30 s are divided by this (the world model's compression); shorter ones run as written. */
    compressWaitsOver30s?: number;
    /** Every Wait state waits this many ms (SecondsPath ones included); waitTimeOverrides win. */
    waitMs?: number;
    waitTimeOverrides?: Record<string, number>;
    retryIntervalOverrides?: Record<string, number | number[]>;
  };
  events?: {
    /** Lambda async retries for every target (default: the function's maximumRetryAttempts, else 2). */
    retryAttempts?: number;
  };
  /** Import every handler module and build every state machine at start (slower start, faster first call). */
  preload?: boolean;
}

export interface AwsSandbox {
  /** The one endpoint of every service but DynamoDB. */
  readonly url: string;
  readonly region: string;
  readonly registry: Registry;
  /** AWS_ENDPOINT_URL_*, dummy credentials, region and the flatline variables the handlers read. */
  readonly env: Record<string, string>;
  applyEnv(): void;
  restoreEnv(): void;
  readonly calls: CallRecord[];
  /** The JSON request bodies of one operation's calls, oldest first (what a handler sent). */
  payloads<T = Record<string, unknown>>(operation: string): T[];
  callCounts(): Partial<Record<ServiceName, number>>;
  operationCounts(): Record<string, number>;
  /** Successful state-changing calls (plan mode must make none). */
  mutatingCalls(): CallRecord[];
  clearCalls(): void;
  readonly faults: { add(spec: FaultSpec): () => void; clear(): void; seed(seed: number): void };
  readonly world: WorldModel;
  readonly medialive: {
    /** How MediaLive's own events reach the bus (best effort); a drill may change it mid-run. */
    readonly eventDelivery: BestEffortDelivery<SandboxEvent>;
    channel(region: string, channelId: string): SimChannel;
    /** The registry channel's side. */
    side(channelId: string, side: 'primary' | 'standby'): SimChannel;
    all(): SimChannel[];
  };
  readonly cloudfront: CloudFrontService;
  /** Metric alarms fed in-process (world `cloudWatchAlarms`: the drill adds the stack's and feeds the probe's ManifestAge). */
  readonly cloudwatch: CloudWatchAlarms;
  readonly kvs: KeyValueStoreService;
  readonly sns: { readonly messages: SnsMessage[] };
  /** The topic the notify function publishes to (the stack's NotifyTopic), where the ops alarms' actions go too. */
  readonly notifyTopicArn: string;
  readonly events: {
    put(entries: SandboxEvent | SandboxEvent[]): EventEnvelope[];
    readonly log: EventEnvelope[];
    idle(): Promise<void>;
    onEvent(listener: (e: EventEnvelope) => void): () => void;
    setRouting(enabled: boolean): void;
    readonly service: EventBridgeService;
  };
  readonly deadLetters: DeadLetter[];
  readonly sfn: {
    executions(): ExecutionRecord[];
    get(executionArn: string): ExecutionRecord | undefined;
    arn(key: string): string;
    /** Task state name => serverless function key (null: unmapped resource). */
    taskFunctions(key: string): Record<string, string | null>;
    start(stateMachine: string, input?: unknown, name?: string): ExecutionRecord;
    idle(): Promise<void>;
    onExecutionEnd(listener: (e: ExecutionRecord) => void): () => void;
  };
  readonly lambda: {
    invoke(functionKey: string, event: unknown): Promise<unknown>;
    readonly runtime: LambdaRuntime;
  };
  readonly serverless: ServerlessConfig | undefined;
  readonly dynamodb: { endpoint: string; tableName: string };
  /** What an SDK client needs to reach the sandbox without applyEnv(): endpoint (DynamoDB: dynalite's), region, dummy credentials. */
  clientConfig(opts?: { region?: string; dynamodb?: boolean }): { endpoint: string; region: string; credentials: { accessKeyId: string; secretAccessKey: string } };
  /**
   * Waits until EventBridge deliveries and executions (and what they start) have settled; with
   * `worldEvents: false`, not for service events still in their best-effort delay (a MediaLive alert 2-30 s late).
   */
  settle(opts?: { worldEvents?: boolean }): Promise<void>;
  stop(): Promise<void>;
}

export async function startAwsSandbox(opts: AwsSandboxOptions = {}): Promise<AwsSandbox> {
  const region = opts.region ?? 'us-west-2';
  const stage = opts.stage ?? 'sandbox';
  const registry = opts.registry ?? readRegistryFile(opts.registryPath ?? registrySourcePath());
  const ledgerTable = opts.ledgerTable ?? `flatline-${stage}-ledger`;
  const notifyTopicArn = opts.notifyTopicArn ?? `arn:aws:sns:${region}:${ACCOUNT_ID}:flatline-${stage}-notify`;
  const credentials = { accessKeyId: 'sandbox', secretAccessKey: 'sandbox' };

  const slsPath = opts.serverlessPath === false ? undefined : resolve(opts.serverlessPath ?? 'serverless.yml');
  const serverless = slsPath && existsSync(slsPath) ? await loadServerlessConfig(slsPath, { stage, region, accountId: ACCOUNT_ID }) : undefined;

  const calls = new CallLog();
  const seed = opts.seed ?? 1;
  const faults = new FaultInjector(seed);
  const world = opts.world ?? worldModel('ideal');
  const access = new InvocationAccess();
  // Set once the endpoints are known (below); no handler runs before.
  let env: Record<string, string> = {};
  const lambda = new LambdaRuntime(
    serverless?.root ?? process.cwd(),
    serverless?.functions ?? {},
    { stage, region, service: serverless?.service ?? 'flatline' },
    { enforceTimeouts: world.lambdaTimeouts, ...(world.lambdaColdStart ? { coldStartMs: (key: string) => lambdaInitMs(world, key) } : {}), access, sandboxEnv: () => env },
  );
  // One generator per stream, so that a change in one (more events) does not reshuffle the others.
  const stream = (n: number): (() => number) => seededRandom(seed * 7919 + n);
  const busRandom = stream(1);
  const events = new EventBridgeService({
    region,
    rules: serverless?.rules ?? [],
    lambda,
    deliveryDelayMs: () => drawMs(world.eventBridgeDelayS, busRandom),
    retryDelayMs: (attempt) => compressedMs(world, world.lambdaAsyncRetryS[attempt - 1] ?? world.lambdaAsyncRetryS.at(-1) ?? 0),
    ...(opts.events?.retryAttempts !== undefined ? { retryAttempts: opts.events.retryAttempts } : {}),
  });
  const publishMediaLive = opts.medialive?.publishEvents ?? true;
  const mediaLiveDelivery = new BestEffortDelivery<SandboxEvent>((e) => events.put(e), { ...world.mediaLiveEvents }, stream(2));
  const medialive = new MediaLiveService((e) => {
    if (publishMediaLive) mediaLiveDelivery.publish(e);
  });
  const deployRandom = stream(3);
  const cloudfront = new CloudFrontService(opts.cloudfront?.deployMs ?? (() => compressedMs(world, drawMs(world.distributionDeployS, deployRandom) / 1000)));
  const transitionRandom = stream(4);
  const transitionMs = (): number => compressedMs(world, drawMs(world.channelTransitionS, transitionRandom) / 1000);
  const alarmRandom = stream(6);
  const sns = new SnsService();
  const cloudwatch = new CloudWatchAlarms({
    region,
    publish: (e) => events.put(e),
    evaluationDelayMs: () => drawMs(world.alarmEvaluationDelayS, alarmRandom),
    periodMs: (seconds) => compressedMs(world, seconds),
    notify: (topicArn, subject, message) => void sns.deliver(topicArn, message, subject),
  });
  const kvs = new KeyValueStoreService();
  const sfn = new StepFunctionsService({
    region,
    machines: [...Object.values(serverless?.stateMachines ?? {}), ...(opts.stateMachines ?? [])],
    lambda,
    ...(opts.sfn?.timeScale !== undefined ? { timeScale: opts.sfn.timeScale } : {}),
    ...(opts.sfn?.waitMs !== undefined ? { waitMs: opts.sfn.waitMs } : {}),
    ...(opts.sfn?.compressWaitsOver30s !== undefined ? { compressWaitsOver30s: opts.sfn.compressWaitsOver30s } : {}),
    ...(opts.sfn?.waitTimeOverrides ? { waitTimeOverrides: opts.sfn.waitTimeOverrides } : {}),
    ...(opts.sfn?.retryIntervalOverrides ? { retryIntervalOverrides: opts.sfn.retryIntervalOverrides } : {}),
  });

  for (const c of registry.channels) {
    const running = { startDelayMs: opts.medialive?.startDelayMs ?? transitionMs(), stopDelayMs: opts.medialive?.stopDelayMs ?? transitionMs(), channelClass: c.primary.channelClass };
    medialive.addChannel({ region: c.primary.region, channelId: c.primary.channelId, name: `${c.id}-primary`, state: 'RUNNING', tags: { flatline: c.id, side: 'primary' }, ...running });
    medialive.addChannel({
      region: c.standby.region,
      channelId: c.standby.channelId,
      name: `${c.id}-standby`,
      state: c.standby.mode === 'warm' ? 'RUNNING' : 'IDLE',
      tags: { flatline: c.id, side: 'standby' },
      ...running,
      channelClass: c.standby.channelClass,
    });
    kvs.addStore(c.edge.kvsArn, opts.kvs?.[c.edge.kvsArn]);
  }
  // The /live/* behaviours get the stack's cache policy, named for this stage as the deploy names it.
  cloudfront.seedFromRegistry(registry, edgeCachePolicyConfig(stage));

  let server: SandboxServer | undefined;
  let dynamo: LocalDynamo | undefined;
  try {
    [server, dynamo] = await Promise.all([
      startServer([medialive, cloudfront, kvs, sns, events, sfn], calls, faults, (auth) => access.refusal(auth)),
      startDynalite([ledgerTableInput(ledgerTable)], credentials, (auth) => access.refusal(auth)),
    ]);
  } catch (err) {
    await server?.close();
    await dynamo?.close();
    throw err;
  }

  // The handlers load the registry compiled to JSON, as in a Lambda zip (functions/domain/registry): the
  // sandbox compiles the one it runs and points FLATLINE_REGISTRY at it.
  const registryDir = mkdtempSync(join(tmpdir(), 'flatline-sandbox-registry-'));
  const compiledRegistry = writeCompiledRegistry(registry, join(registryDir, 'registry.json'));
  const url = server.url;
  const machineArn = (key: string): string | undefined => (sfn.machineKeys().includes(key) ? sfn.arn(key) : undefined);
  env = {
    AWS_ENDPOINT_URL_MEDIALIVE: url,
    AWS_ENDPOINT_URL_CLOUDFRONT: url,
    AWS_ENDPOINT_URL_CLOUDFRONT_KEYVALUESTORE: url,
    AWS_ENDPOINT_URL_SNS: url,
    AWS_ENDPOINT_URL_EVENTBRIDGE: url,
    AWS_ENDPOINT_URL_SFN: url,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    LEDGER_TABLE: ledgerTable,
    NOTIFY_TOPIC_ARN: notifyTopicArn,
    EVENT_BUS_NAME: opts.eventBusName ?? 'default',
    FLATLINE_STAGE: stage,
    // What serverless.yml gives triage: the account of the channels (the sandbox's services all live in it).
    FLATLINE_ACCOUNT_ID: ACCOUNT_ID,
    FLATLINE_REGISTRY: compiledRegistry,
    ...(machineArn('failover') ? { FAILOVER_STATE_MACHINE_ARN: machineArn('failover')! } : {}),
    ...(machineArn('failback') ? { FAILBACK_STATE_MACHINE_ARN: machineArn('failback')! } : {}),
  };
  // After env: a module may read a variable at import.
  if (opts.preload) {
    await lambda.preload();
    sfn.preload();
  }

  // Variables whose previous values restoreEnv() puts back; AWS_SESSION_TOKEN/AWS_PROFILE would spoil the dummy credentials.
  const managed = [...Object.keys(env), 'AWS_SESSION_TOKEN', 'AWS_PROFILE'];
  let saved: Record<string, string | undefined> | undefined;

  const settle = async ({ worldEvents = true }: { worldEvents?: boolean } = {}): Promise<void> => {
    for (let i = 0; i < 100; i++) {
      if (worldEvents) await mediaLiveDelivery.idle();
      await events.idle();
      await sfn.idle();
      await new Promise((r) => setImmediate(r));
      const busy = sfn.list().some((e) => e.status === 'RUNNING');
      if (!busy) {
        await events.idle();
        if (!sfn.list().some((e) => e.status === 'RUNNING')) return;
      }
    }
  };

  const sandbox: AwsSandbox = {
    url,
    region,
    registry,
    env,
    applyEnv() {
      saved ??= Object.fromEntries(managed.map((k) => [k, process.env[k]]));
      delete process.env.AWS_SESSION_TOKEN;
      delete process.env.AWS_PROFILE;
      Object.assign(process.env, env);
    },
    restoreEnv() {
      if (!saved) return;
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      saved = undefined;
    },
    calls: calls.records,
    payloads: (operation) => calls.payloads(operation),
    callCounts: () => calls.countsByService(),
    operationCounts: () => calls.countsByOperation(),
    mutatingCalls: () => calls.mutations(),
    clearCalls: () => calls.clear(),
    faults: { add: (spec) => faults.add(spec), clear: () => faults.clear(), seed: (s) => faults.seed(s) },
    world,
    medialive: {
      eventDelivery: mediaLiveDelivery,
      channel: (r, id) => medialive.channel(r, id),
      side: (channelId, side) => {
        const c = registry.channels.find((x) => x.id === channelId);
        if (!c) throw new Error(`sandbox: channel ${channelId} is not in the registry`);
        return medialive.channel(c[side].region, c[side].channelId);
      },
      all: () => medialive.all(),
    },
    cloudfront,
    cloudwatch,
    kvs,
    sns,
    notifyTopicArn,
    events: {
      put: (e) => events.put(e),
      log: events.log,
      idle: () => events.idle(),
      onEvent: (l) => events.onEvent(l),
      setRouting: (on) => events.setRouting(on),
      service: events,
    },
    deadLetters: events.deadLetters,
    sfn: {
      executions: () => sfn.list(),
      get: (arn) => sfn.get(arn),
      arn: (key) => sfn.arn(key),
      taskFunctions: (key) => sfn.taskFunctions(key),
      start: (m, input, name) => sfn.start(m, input, name),
      idle: () => sfn.idle(),
      onExecutionEnd: (l) => sfn.onExecutionEnd(l),
    },
    lambda: { invoke: (key, event) => lambda.invoke(key, event), runtime: lambda },
    serverless,
    dynamodb: { endpoint: dynamo.endpoint, tableName: ledgerTable },
    clientConfig: (o = {}) => ({ endpoint: o.dynamodb ? dynamo.endpoint : url, region: o.region ?? region, credentials: { ...credentials } }),
    settle,
    async stop() {
      // Nothing new starts; what is in flight gets a moment to finish before the servers go.
      events.setRouting(false);
      sfn.stopAll();
      await Promise.race([events.idle(), new Promise((r) => setTimeout(r, 2000).unref())]);
      events.close();
      mediaLiveDelivery.dispose();
      cloudwatch.dispose();
      medialive.dispose();
      cloudfront.dispose();
      kvs.dispose();
      sandbox.restoreEnv();
      await Promise.all([server.close(), dynamo.close()]);
      rmSync(registryDir, { recursive: true, force: true });
    },
  };
  return sandbox;
}
