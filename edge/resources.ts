// CloudFormation resources of the edge router, for serverless.yml `resources:` (deploy/resources.ts wires them in):
// the KeyValueStore the control plane writes, the CloudFront Function that reads it, and the cache policy the
// /live/* behaviours use with it (the route in the cache key).
//
// Store ownership (documented in edge/README.md):
//   store: 'create' (default) — the stack creates the store and associates the function with it. After the first
//       deploy, copy the EdgeKeyValueStoreArn output into every channel's edge.kvsArn (the control plane writes
//       there) and deploy again.
//   store: 'registry' — bring your own store: the stack creates none and associates the function with the ARN the
//       registry names.
// Either way a function reads ONE store, so every channel must name the same edge.kvsArn.
import type { Registry } from '../functions/domain/registry/index.js';
import { buildEdgeRouter, type EdgeBuild } from './build.js';
import { edgeCachePolicyConfig } from './cache-policy.js';
import { EdgeBuildError } from './errors.js';

export const EDGE_FUNCTION_LOGICAL_ID = 'EdgeRouterFunction';
export const EDGE_STORE_LOGICAL_ID = 'EdgeRouterKeyValueStore';
export const EDGE_CACHE_POLICY_LOGICAL_ID = 'EdgeLiveCachePolicy';

/** AWS::CloudFront::Function KeyValueStoreAssociation.KeyValueStoreARN pattern (CloudFormation reference). */
const KVS_ARN = /^arn:aws:cloudfront::[0-9]{12}:key-value-store\/[0-9a-fA-F-]{36}$/;
/** Function and KeyValueStore names: letters, digits, - and _, at most 64. */
const RESOURCE_NAME = /^[a-zA-Z0-9-_]{1,64}$/;

export interface EdgeResourceOptions {
  stage: string;
  /** 'create' (default): the stack owns the store. 'registry': associate the store the registry names. */
  store?: 'create' | 'registry';
  /** A build to reuse (default: a fresh build; it does not depend on the registry). */
  build?: EdgeBuild;
}

export interface EdgeResources {
  Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
  Outputs: Record<string, { Description: string; Value: unknown }>;
}

/** The one KeyValueStore ARN every channel of the registry names. */
export function registryStoreArn(registry: Registry): string {
  const arns = [...new Set(registry.channels.map((c) => c.edge.kvsArn))];
  if (arns.length !== 1)
    throw new EdgeBuildError(`a CloudFront Function reads one KeyValueStore, but the registry names ${arns.length}: ${arns.join(', ')}`, [
      { limit: 'kvs-store', message: 'every channel must name the same edge.kvsArn' },
    ]);
  return arns[0] as string;
}

export function edgeResources(registry: Registry, options: EdgeResourceOptions): EdgeResources {
  const { stage } = options;
  const store = options.store ?? 'create';
  const functionName = `flatline-${stage}-edge-router`;
  const storeName = `flatline-${stage}-routes`;
  const cachePolicy = edgeCachePolicyConfig(stage);
  for (const name of [functionName, storeName, cachePolicy.Name])
    if (!RESOURCE_NAME.test(name)) throw new EdgeBuildError(`"${name}" is not a valid CloudFront resource name (stage "${stage}")`, [{ limit: 'name', message: name }]);
  const registryArn = registryStoreArn(registry);
  if (store === 'registry' && !KVS_ARN.test(registryArn))
    throw new EdgeBuildError(`edge.kvsArn "${registryArn}" is not a KeyValueStore ARN CloudFormation accepts (key-value-store/<36 hex and dashes>)`, [
      { limit: 'kvs-store', message: registryArn },
    ]);
  const build = options.build ?? buildEdgeRouter();

  const storeArn: unknown = store === 'create' ? { 'Fn::GetAtt': [EDGE_STORE_LOGICAL_ID, 'Arn'] } : registryArn;
  const Resources: EdgeResources['Resources'] = {};
  if (store === 'create') {
    Resources[EDGE_STORE_LOGICAL_ID] = {
      Type: 'AWS::CloudFront::KeyValueStore',
      Properties: { Name: storeName, Comment: `flatline ${stage}: edge:<channel> values read by the edge router` },
    };
  }
  Resources[EDGE_FUNCTION_LOGICAL_ID] = {
    Type: 'AWS::CloudFront::Function',
    Properties: {
      Name: functionName,
      AutoPublish: true,
      FunctionCode: build.code,
      FunctionConfig: {
        Comment: `flatline ${stage} edge router: /live/<channel>/* origin + slate from the KeyValueStore`,
        Runtime: 'cloudfront-js-2.0',
        KeyValueStoreAssociations: [{ KeyValueStoreARN: storeArn }],
      },
    },
  };
  Resources[EDGE_CACHE_POLICY_LOGICAL_ID] = { Type: 'AWS::CloudFront::CachePolicy', Properties: { CachePolicyConfig: cachePolicy } };
  const Outputs: EdgeResources['Outputs'] = {
    EdgeRouterFunctionArn: {
      Description: 'Associate with the viewer-request event of the /live/* cache behaviours of your distribution',
      Value: { 'Fn::GetAtt': [EDGE_FUNCTION_LOGICAL_ID, 'FunctionARN'] },
    },
    EdgeKeyValueStoreArn: {
      Description: "The store the edge router reads: every channel's edge.kvsArn in the registry must be this ARN",
      Value: storeArn,
    },
    EdgeCachePolicyId: {
      Description: 'Use as the cache policy of the /live/* behaviours, with the edge router: it keys cached objects by route, so a route change reaches viewers without waiting for the cached playlist to expire',
      Value: { Ref: EDGE_CACHE_POLICY_LOGICAL_ID },
    },
  };
  return { Resources, Outputs };
}
