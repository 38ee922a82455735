// The cache policy of the /live/* behaviours (edge/resources.ts creates it in the stack) and the check that a
// distribution's /live/* behaviours use one that keys by route. Kept apart from resources.ts so the sandbox's
// CloudFront and the CLI can use it without the function build.
import { ROUTE_HEADER } from '../functions/domain/routing-keys.js';

/** The managed cache policy "Elemental-MediaPackage" (using-managed-cache-policies.html#managed-cache-policy-mediapackage). */
export const MANAGED_MEDIAPACKAGE_CACHE_POLICY_ID = '08627262-05a9-4f76-9ded-b50ca2e3a84f';

/** AWS::CloudFront::CachePolicy CachePolicyConfig (CloudFormation's shape). */
export interface CachePolicyConfig {
  Name: string;
  Comment: string;
  MinTTL: number;
  DefaultTTL: number;
  MaxTTL: number;
  ParametersInCacheKeyAndForwardedToOrigin: {
    EnableAcceptEncodingGzip: boolean;
    EnableAcceptEncodingBrotli: boolean;
    HeadersConfig: { HeaderBehavior: 'none' | 'whitelist'; Headers?: string[] };
    CookiesConfig: { CookieBehavior: 'none' };
    QueryStringsConfig: { QueryStringBehavior: 'none' | 'whitelist'; QueryStrings?: string[] };
  };
}

/**
 * The managed cache policy "Elemental-MediaPackage" as AWS publishes it: TTL 0 / 1 day / 1 year so MediaPackage's
 * max-age rules, gzip, the Origin header and the query strings aws.manifestfilter, start, end and m in the key
 * (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-cache-policies.html).
 */
export const MANAGED_MEDIAPACKAGE_CACHE_POLICY: CachePolicyConfig = {
  Name: 'Managed-Elemental-MediaPackage',
  Comment: 'Policy for Elemental MediaPackage Origin',
  MinTTL: 0,
  DefaultTTL: 86_400,
  MaxTTL: 31_536_000,
  ParametersInCacheKeyAndForwardedToOrigin: {
    EnableAcceptEncodingGzip: true,
    EnableAcceptEncodingBrotli: false,
    HeadersConfig: { HeaderBehavior: 'whitelist', Headers: ['origin'] },
    CookiesConfig: { CookieBehavior: 'none' },
    QueryStringsConfig: { QueryStringBehavior: 'whitelist', QueryStrings: ['aws.manifestfilter', 'start', 'end', 'm'] },
  },
};

/**
 * The cache policy of the /live/* behaviours: the managed "Elemental-MediaPackage" policy's settings plus
 * x-flatline-route, the route the edge router took. CloudFront runs a viewer-request function before it looks
 * in its cache (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/function-code-choose-purpose.html)
 * and a header the policy lists is in the cache key and forwarded to the origin
 * (https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_CachePolicyHeadersConfig.html), so a route flip
 * misses the cache instead of serving the frozen route's playlist until its max-age.
 */
export function edgeCachePolicyConfig(stage: string): CachePolicyConfig {
  const managed = MANAGED_MEDIAPACKAGE_CACHE_POLICY;
  const parameters = managed.ParametersInCacheKeyAndForwardedToOrigin;
  return {
    ...managed,
    Name: `flatline-${stage}-live`,
    Comment: `flatline ${stage} /live/*: Elemental-MediaPackage settings + x-flatline-route in the key`,
    ParametersInCacheKeyAndForwardedToOrigin: {
      ...parameters,
      HeadersConfig: { HeaderBehavior: 'whitelist', Headers: [...(parameters.HeadersConfig.Headers ?? []), ROUTE_HEADER] },
    },
  };
}

/** A cache behaviour as far as the check below needs it (the default behaviour has no path pattern). */
export interface BehaviourView {
  pathPattern: string;
  cachePolicyId: string | undefined;
}

export interface RouteKeyProblem extends BehaviourView {
  message: string;
}

/**
 * The /live/* behaviours whose cache policy leaves x-flatline-route out of the cache key (or that use legacy cache
 * settings, no policy): there a route change waits for the cached playlist to expire. `headersOf` gives a policy's
 * header names (lowercase), undefined when it cannot be read.
 */
export function behavioursWithoutRouteKey(behaviours: readonly BehaviourView[], headersOf: (cachePolicyId: string) => readonly string[] | undefined): RouteKeyProblem[] {
  const problems: RouteKeyProblem[] = [];
  for (const b of behaviours) {
    if (!b.pathPattern.replace(/^\/?/, '/').startsWith('/live/')) continue;
    const headers = b.cachePolicyId === undefined || b.cachePolicyId === '' ? [] : headersOf(b.cachePolicyId);
    if (headers?.includes(ROUTE_HEADER)) continue;
    const policy = b.cachePolicyId ? `cache policy ${b.cachePolicyId}` : 'legacy cache settings (no cache policy)';
    const why = headers === undefined ? 'could not be read' : `does not include ${ROUTE_HEADER}`;
    problems.push({ ...b, message: `behaviour ${b.pathPattern}: ${policy} ${why}: a route change waits for the cached playlist to expire (use the stack's EdgeCachePolicyId)` });
  }
  return problems;
}
