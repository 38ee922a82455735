// `flatline edge sync [--registry <file>] [--plan] [--from-legacy | --delete-legacy] [--json]`: reconciles the
// KeyValueStore value edge:<id> of every registry channel (functions/domain/reconcilers/edge-sync.ts). Run it
// after every deploy that changes the registry; the runbook has the migration from route:<id> / slate:<id>.
// It also reads the registry's distributions and warns when a /live/* behaviour's cache policy leaves the route
// out of the cache key (edge/cache-policy.ts): a warning, never a failure of the sync.
import { GetCachePolicyCommand, GetDistributionConfigCommand, type CloudFrontClient } from '@aws-sdk/client-cloudfront';
import { behavioursWithoutRouteKey } from '../../edge/cache-policy.js';
import { InvalidInputError } from '../../functions/domain/errors.js';
import { syncEdgeValues } from '../../functions/domain/reconcilers/edge-sync.js';
import { readRegistryFile, registrySourcePath } from '../../functions/domain/registry/file.js';
import { awsClients } from '../../functions/lib/aws-client-set.js';
import { kvsClient } from '../../functions/lib/kvs-client.js';
import { parseCommandArgs } from '../args.js';
import { show } from '../format.js';

export const summary = 'edge sync: write each channel\'s KeyValueStore value (edge:<id>) from the registry; --plan to preview';

const USAGE = 'usage: flatline edge sync [--registry <file>] [--plan] [--from-legacy | --delete-legacy] [--json]';

export async function run(args: string[]): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(args);
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (positionals.length !== 1 || positionals[0] !== 'sync') {
    console.error(USAGE);
    return 2;
  }
  try {
    const registry = readRegistryFile(values.registry ?? registrySourcePath());
    const report = await syncEdgeValues({
      channels: registry.channels,
      mode: values.plan ? 'plan' : 'live',
      fromLegacy: values['from-legacy'] ?? false,
      deleteLegacy: values['delete-legacy'] ?? false,
      kvs: kvsClient('tool'),
    });
    const distributionIds = [...new Set(registry.channels.map((c) => c.edge.distributionId))];
    const warnings = await routeKeyWarnings(awsClients('tool').cloudFront(), distributionIds);
    if (values.json) {
      console.log(JSON.stringify({ ...report, warnings }, null, 2));
      return 0;
    }
    const { observed, changes } = report;
    const verb = values.plan ? 'would change' : 'changed';
    for (const c of changes) console.log(`${verb} ${c.resource}: ${show(c.from, 'absent')} -> ${show(c.to, 'absent')}`);
    console.log(`${observed.channels} channels in ${observed.stores.join(', ')}: ${changes.length} ${verb}, ${observed.unchanged} already right`);
    if (observed.orphans.length) console.log(`values of channels the registry no longer has (left alone): ${observed.orphans.join(', ')}`);
    for (const w of warnings) console.error(`warning: ${w}`);
    return 0;
  } catch (err) {
    console.error(`flatline edge sync: ${(err as Error).message}`);
    return err instanceof InvalidInputError ? 2 : 1;
  }
}

/** The distributions' /live/* behaviours whose cache policy leaves x-flatline-route out of the key, as warnings. */
async function routeKeyWarnings(client: CloudFrontClient, distributionIds: readonly string[]): Promise<string[]> {
  const warnings: string[] = [];
  const policies = new Map<string, readonly string[] | undefined>();
  for (const id of distributionIds) {
    try {
      const { DistributionConfig: config } = await client.send(new GetDistributionConfigCommand({ Id: id }));
      const behaviours = (config?.CacheBehaviors?.Items ?? []).map((b) => ({ pathPattern: b.PathPattern ?? '', cachePolicyId: b.CachePolicyId }));
      for (const b of behaviours) if (b.cachePolicyId && !policies.has(b.cachePolicyId)) policies.set(b.cachePolicyId, await policyHeaders(client, b.cachePolicyId));
      for (const p of behavioursWithoutRouteKey(behaviours, (policyId) => policies.get(policyId))) warnings.push(`distribution ${id}: ${p.message}`);
    } catch (err) {
      warnings.push(`distribution ${id}: could not read its config to check the /live/* cache policy (${(err as Error).message})`);
    }
  }
  return warnings;
}

/** A cache policy's header names, lowercase ([] when it lists none); undefined when it cannot be read. */
async function policyHeaders(client: CloudFrontClient, cachePolicyId: string): Promise<string[] | undefined> {
  try {
    const { CachePolicy: policy } = await client.send(new GetCachePolicyCommand({ Id: cachePolicyId }));
    const headers = policy?.CachePolicyConfig?.ParametersInCacheKeyAndForwardedToOrigin?.HeadersConfig;
    return headers?.HeaderBehavior === 'whitelist' ? (headers.Headers?.Items ?? []).map((h) => h.toLowerCase()) : [];
  } catch {
    return undefined;
  }
}

function parse(args: string[]) {
  return parseCommandArgs('edge', args, {
    registry: { type: 'string' },
    plan: { type: 'boolean' },
    'from-legacy': { type: 'boolean' },
    'delete-legacy': { type: 'boolean' },
    json: { type: 'boolean' },
  });
}
