// The `${file(./deploy/serverless.cjs):<name>}` variables of serverless.yml. osls calls each with
// { options, resolveConfigurationProperty, resolveVariable }; every one loads and validates the stage's
// registry first, so an invalid registry fails `serverless package` with the registry's own message
// (which names the channel and the field).
import { mediaLiveChannelArns, mediaLiveRegions } from './arns.js';
import { forwarderResources } from './forwarder.js';
import { probeSchedules } from './probe.js';
import { compileRegistry } from './registry-json.js';
import { DEFAULT_REGION, DeployConfigError, deployContext, type DeployContext } from './context.js';
import { FlatlineError } from '../functions/domain/errors.js';
import { stackOutputs, stackResources } from './resources.js';

/** The part of osls's variable-resolver API these functions use. */
export interface VariableResolverApi {
  options: Record<string, unknown>;
  resolveVariable(expression: string): Promise<unknown>;
  resolveConfigurationProperty(path: string[]): Promise<unknown>;
}

async function contextFrom(api: VariableResolverApi): Promise<DeployContext & { controlRegion?: string | undefined }> {
  const stage = String(await api.resolveVariable('sls:stage'));
  const region = String(await api.resolveConfigurationProperty(['provider', 'region']));
  const custom = ((await api.resolveConfigurationProperty(['custom', 'flatline'])) ?? {}) as {
    accountId?: unknown;
    targetDurationSeconds?: unknown;
    edgeStore?: unknown;
    channelsPerProbeShard?: unknown;
    controlRegion?: unknown;
    operatorRoleArns?: unknown;
    logRetentionDays?: unknown;
    maxEventAgeSeconds?: unknown;
    cloudFrontQuotas?: unknown;
  };
  const operatorRoleArns = custom.operatorRoleArns ?? [];
  if (!Array.isArray(operatorRoleArns) || operatorRoleArns.some((a) => typeof a !== 'string')) {
    throw new DeployConfigError(`custom.flatline.operatorRoleArns must be a list of IAM role ARNs, got ${JSON.stringify(operatorRoleArns)}`);
  }
  const edgeStore = custom.edgeStore ?? 'create';
  if (edgeStore !== 'create' && edgeStore !== 'registry') {
    throw new DeployConfigError(`custom.flatline.edgeStore must be "create" or "registry", got ${JSON.stringify(edgeStore)}`);
  }
  const quotas = custom.cloudFrontQuotas ?? {};
  if (typeof quotas !== 'object' || Array.isArray(quotas)) {
    throw new DeployConfigError(`custom.flatline.cloudFrontQuotas must be a map of quota names to numbers, got ${JSON.stringify(quotas)}`);
  }
  const ctx = deployContext({
    stage,
    region,
    accountId: typeof custom.accountId === 'string' && custom.accountId !== '' ? custom.accountId : undefined,
    targetDurationSeconds: custom.targetDurationSeconds === undefined ? undefined : Number(custom.targetDurationSeconds),
    edgeStore,
    channelsPerProbeShard: custom.channelsPerProbeShard === undefined ? undefined : Number(custom.channelsPerProbeShard),
    operatorRoleArns: operatorRoleArns as string[],
    logRetentionDays: custom.logRetentionDays === undefined ? undefined : Number(custom.logRetentionDays),
    maxEventAgeSeconds: custom.maxEventAgeSeconds === undefined ? undefined : Number(custom.maxEventAgeSeconds),
    cloudFrontQuotas: quotas,
  });
  return { ...ctx, controlRegion: typeof custom.controlRegion === 'string' ? custom.controlRegion : undefined };
}

/** The values, by variable name, for a given deploy context (also what the local sandbox resolves). */
export function variableValues(ctx: DeployContext & { controlRegion?: string | undefined }) {
  return {
    /** The registry compiled to JSON (written when this is resolved): FLATLINE_REGISTRY and the file packaged with every function. */
    get compiledRegistry() {
      return compileRegistry(ctx);
    },
    /** The account of the registry's channels: triage accepts MediaLive events of these exact ARNs only. */
    accountId: ctx.accountId,
    /** Every MediaLive channel of the registry, both sides (not in any rule: see `account`). */
    mediaLiveChannelArns: mediaLiveChannelArns(ctx, ['primary', 'standby']),
    /**
     * The `account` of every rule: flatline's own account only. Rules never list channels (an ARN list
     * outgrows EventBridge's 2,048-character pattern near 17 channels); triage checks membership and
     * sends an unknown channel to the dead-letter queue with the reason.
     */
    account: [ctx.accountId],
    /** The `region` of the rules on events the control plane itself produces (alarms, probe, ops). */
    controlRegion: [ctx.region],
    /** The `region` of triage's MediaLive rule: the regions of the registry's channels, both sides. */
    mediaLiveRegions: mediaLiveRegions(ctx),
    /** provider.logRetentionInDays (and the stack's own log groups): custom.flatline.logRetentionDays, validated. */
    logRetentionDays: ctx.logRetentionDays,
    /** Triage's FLATLINE_MAX_EVENT_AGE_SECONDS (a Lambda environment value is a string): custom.flatline.maxEventAgeSeconds, validated. */
    maxEventAgeSeconds: String(ctx.maxEventAgeSeconds),
    /** The probe's schedule, one event per shard of the fleet. */
    probeSchedules: probeSchedules(ctx),
    resources: stackResources(ctx),
    outputs: stackOutputs(ctx),
    /** serverless.forwarder.yml: the MediaLive event forwarder of a region the control plane is not in. */
    get forwarderResources() {
      return forwarderResources(ctx, ctx.controlRegion ?? DEFAULT_REGION);
    },
  };
}
export type VariableName = keyof ReturnType<typeof variableValues>;

/**
 * osls prints a failing variable's `error.stack`, once per variable that needs the registry: a registry
 * error is a configuration problem, not a crash, so its stack is just its message.
 */
function withoutStack(err: unknown): unknown {
  if (err instanceof FlatlineError) err.stack = `${err.name}: ${err.message}`;
  return err;
}

type Resolver = (api: VariableResolverApi) => Promise<unknown>;
const variable =
  (name: VariableName): Resolver =>
  async (api) => {
    try {
      return variableValues(await contextFrom(api))[name];
    } catch (err) {
      throw withoutStack(err);
    }
  };

export const serverlessVariables: Record<VariableName, Resolver> = {
  compiledRegistry: variable('compiledRegistry'),
  accountId: variable('accountId'),
  mediaLiveChannelArns: variable('mediaLiveChannelArns'),
  account: variable('account'),
  controlRegion: variable('controlRegion'),
  mediaLiveRegions: variable('mediaLiveRegions'),
  logRetentionDays: variable('logRetentionDays'),
  maxEventAgeSeconds: variable('maxEventAgeSeconds'),
  probeSchedules: variable('probeSchedules'),
  resources: variable('resources'),
  outputs: variable('outputs'),
  forwarderResources: variable('forwarderResources'),
};

const FILE_VARIABLE = /^\$\{file\(\.\/deploy\/serverless\.cjs\):(\w+)\}$/;

/**
 * For tools that read serverless.yml without osls (the local sandbox): the value of one YAML string as osls
 * would resolve it — `${file(./deploy/serverless.cjs):<name>}` gives the generated value (e.g. the array of
 * MediaLive regions of triage's pattern), `${sls:stage}` inside a string gives the stage; any other
 * string is returned as is.
 */
export function resolveLocalVariable(value: string, opts: { stage: string; serviceDir?: string; region?: string }): unknown {
  const file = FILE_VARIABLE.exec(value);
  if (file) {
    const values = variableValues(deployContext({ stage: opts.stage, region: opts.region, serviceDir: opts.serviceDir }));
    if (!(file[1]! in values)) throw new DeployConfigError(`serverless.yml names an unknown deploy variable "${file[1]}"`, { value });
    return values[file[1] as VariableName];
  }
  return value.replaceAll('${sls:stage}', opts.stage);
}
