// The `${file(./deploy/serverless.cjs):<name>}` variables of serverless.yml. osls calls each with
// { options, resolveConfigurationProperty, resolveVariable }; every one loads and validates the stage's
// registry first, so an invalid registry fails `serverless package` with the registry's own message
// (which names the channel and the field).
import { mediaLiveChannelArns } from './arns.js';
import { deployContext, type DeployContext } from './context.js';
import { stackOutputs, stackResources } from './resources.js';

/** The part of osls's variable-resolver API these functions use. */
export interface VariableResolverApi {
  options: Record<string, unknown>;
  resolveVariable(expression: string): Promise<unknown>;
  resolveConfigurationProperty(path: string[]): Promise<unknown>;
}

async function contextFrom(api: VariableResolverApi): Promise<DeployContext> {
  const stage = String(await api.resolveVariable('sls:stage'));
  const region = String(await api.resolveConfigurationProperty(['provider', 'region']));
  const custom = ((await api.resolveConfigurationProperty(['custom', 'flatline'])) ?? {}) as {
    accountId?: unknown;
    targetDurationSeconds?: unknown;
  };
  return deployContext({
    stage,
    region,
    accountId: typeof custom.accountId === 'string' && custom.accountId !== '' ? custom.accountId : undefined,
    targetDurationSeconds: custom.targetDurationSeconds === undefined ? undefined : Number(custom.targetDurationSeconds),
  });
}

/** The values, by variable name, for a given deploy context (also what the local sandbox resolves). */
export function variableValues(ctx: DeployContext) {
  return {
    /** Path of the validated registry: FLATLINE_REGISTRY and the file packaged with every function. */
    registryFile: ctx.registryFile,
    /** Every MediaLive channel of the registry, both sides: triage's MediaLive rule matches only these. */
    mediaLiveChannelArns: mediaLiveChannelArns(ctx, ['primary', 'standby']),
    resources: stackResources(ctx),
    outputs: stackOutputs(ctx),
  };
}
export type VariableName = keyof ReturnType<typeof variableValues>;

type Resolver = (api: VariableResolverApi) => Promise<unknown>;
const variable =
  (name: VariableName): Resolver =>
  async (api) =>
    variableValues(await contextFrom(api))[name];

export const serverlessVariables: Record<VariableName, Resolver> = {
  registryFile: variable('registryFile'),
  mediaLiveChannelArns: variable('mediaLiveChannelArns'),
  resources: variable('resources'),
  outputs: variable('outputs'),
};
