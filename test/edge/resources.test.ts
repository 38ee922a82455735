// The CloudFormation resources serverless.yml takes from edge/resources.ts.
import { describe, expect, it } from 'vitest';
import { buildEdgeRouter } from '../../edge/build.js';
import { EdgeBuildError } from '../../edge/errors.js';
import { loadEdgeRouter } from '../../edge/harness.js';
import { EDGE_CACHE_POLICY_LOGICAL_ID, EDGE_FUNCTION_LOGICAL_ID, EDGE_STORE_LOGICAL_ID, edgeResources } from '../../edge/resources.js';
import { getChannel, parseRegistry, type Registry } from '../../functions/domain/registry/index.js';
import { edgeKey, edgeValueString, ROUTE_HEADER } from '../../functions/domain/routing-keys.js';
import { exampleRegistry } from './registries.js';

const OWN_STORE = 'arn:aws:cloudfront::123456789012:key-value-store/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0';

function withStore(registry: Registry, arn: (id: string) => string): Registry {
  return parseRegistry({ channels: registry.channels.map((c) => ({ ...c, edge: { ...c.edge, kvsArn: arn(c.id) } })) });
}

describe('edgeResources', () => {
  it('creates the store and a runtime 2.0, auto-published function associated with it, with the built code', () => {
    const registry = exampleRegistry();
    const { Resources, Outputs } = edgeResources(registry, { stage: 'example' });
    expect(Resources[EDGE_STORE_LOGICAL_ID]).toEqual({
      Type: 'AWS::CloudFront::KeyValueStore',
      Properties: { Name: 'flatline-example-routes', Comment: expect.any(String) },
    });
    const fn = Resources[EDGE_FUNCTION_LOGICAL_ID];
    expect(fn?.Type).toBe('AWS::CloudFront::Function');
    expect(fn?.Properties).toMatchObject({
      Name: 'flatline-example-edge-router',
      AutoPublish: true,
      FunctionCode: buildEdgeRouter().code,
      FunctionConfig: { Runtime: 'cloudfront-js-2.0', KeyValueStoreAssociations: [{ KeyValueStoreARN: { 'Fn::GetAtt': [EDGE_STORE_LOGICAL_ID, 'Arn'] } }] },
    });
    expect(Outputs.EdgeRouterFunctionArn?.Value).toEqual({ 'Fn::GetAtt': [EDGE_FUNCTION_LOGICAL_ID, 'FunctionARN'] });
    expect(Outputs.EdgeKeyValueStoreArn?.Value).toEqual({ 'Fn::GetAtt': [EDGE_STORE_LOGICAL_ID, 'Arn'] });
    // Every comment fits the 128-character FunctionConfig limit.
    expect(String((fn?.Properties.FunctionConfig as { Comment: string }).Comment).length).toBeLessThanOrEqual(128);
  });

  it("creates the /live/* cache policy: the managed Elemental-MediaPackage settings plus the function's route header", () => {
    const registry = exampleRegistry();
    const { Resources, Outputs } = edgeResources(registry, { stage: 'example' });
    expect(Resources[EDGE_CACHE_POLICY_LOGICAL_ID]).toEqual({
      Type: 'AWS::CloudFront::CachePolicy',
      Properties: {
        CachePolicyConfig: {
          Name: 'flatline-example-live',
          Comment: expect.any(String),
          MinTTL: 0,
          DefaultTTL: 86_400,
          MaxTTL: 31_536_000,
          ParametersInCacheKeyAndForwardedToOrigin: {
            EnableAcceptEncodingGzip: true,
            EnableAcceptEncodingBrotli: false,
            HeadersConfig: { HeaderBehavior: 'whitelist', Headers: ['origin', ROUTE_HEADER] },
            CookiesConfig: { CookieBehavior: 'none' },
            QueryStringsConfig: { QueryStringBehavior: 'whitelist', QueryStrings: ['aws.manifestfilter', 'start', 'end', 'm'] },
          },
        },
      },
    });
    const comment = (Resources[EDGE_CACHE_POLICY_LOGICAL_ID]?.Properties.CachePolicyConfig as { Comment: string }).Comment;
    // CachePolicyConfig.Comment: at most 128 characters, with the longest stage the resource names allow.
    expect(comment.length).toBeLessThanOrEqual(128);
    expect(Outputs.EdgeCachePolicyId?.Value).toEqual({ Ref: EDGE_CACHE_POLICY_LOGICAL_ID });
    expect(Outputs.EdgeCachePolicyId?.Description).toMatch(/\/live\/\*/);
    const longest = 'x'.repeat(64 - 'flatline--edge-router'.length);
    const long = edgeResources(registry, { stage: longest }).Resources[EDGE_CACHE_POLICY_LOGICAL_ID]?.Properties.CachePolicyConfig as { Comment: string };
    expect(long.Comment.length).toBeLessThanOrEqual(128);
  });

  it('deploys code that routes: the FunctionCode runs in the harness', async () => {
    const registry = exampleRegistry();
    const { Resources } = edgeResources(registry, { stage: 'example' });
    const value = edgeValueString(getChannel(registry, 'kids-1'), { route: 'standby', slate: false })!;
    const edge = loadEdgeRouter(String(Resources[EDGE_FUNCTION_LOGICAL_ID]?.Properties.FunctionCode), { kvs: new Map([[edgeKey('kids-1'), value]]) });
    expect((await edge.handle({ uri: '/live/kids-1/index.m3u8' })).originId).toBe('mp-usw2-kids-1');
  });

  it("associates the registry's own store and creates none with store: 'registry'", () => {
    const registry = withStore(exampleRegistry(), () => OWN_STORE);
    const { Resources, Outputs } = edgeResources(registry, { stage: 'prod', store: 'registry' });
    expect(Resources[EDGE_STORE_LOGICAL_ID]).toBeUndefined();
    expect(Resources[EDGE_FUNCTION_LOGICAL_ID]?.Properties.FunctionConfig).toMatchObject({ KeyValueStoreAssociations: [{ KeyValueStoreARN: OWN_STORE }] });
    expect(Outputs.EdgeKeyValueStoreArn?.Value).toBe(OWN_STORE);
  });

  it('refuses a registry store ARN CloudFormation would reject', () => {
    // The example's placeholder ARN is not 36 hex digits and dashes.
    expect(() => edgeResources(exampleRegistry(), { stage: 'prod', store: 'registry' })).toThrow(EdgeBuildError);
  });

  it('refuses channels that name different stores (a function reads one)', () => {
    const registry = withStore(exampleRegistry(), (id) => (id === 'kids-1' ? OWN_STORE : OWN_STORE.replace('0f1e', 'aaaa')));
    expect(() => edgeResources(registry, { stage: 'example' })).toThrow(/reads one KeyValueStore, but the registry names 2/);
  });

  it('refuses a stage that makes an invalid resource name', () => {
    expect(() => edgeResources(exampleRegistry(), { stage: 'my stage' })).toThrow(/not a valid CloudFront resource name/);
  });
});
