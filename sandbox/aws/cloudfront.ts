// CloudFront 2020-05-31 over REST-XML: GetDistribution, GetDistributionConfig, UpdateDistribution with the
// ETag / If-Match protocol (missing If-Match => 400 InvalidIfMatchVersion, stale => 412 PreconditionFailed,
// a new ETag per update). The DistributionConfig is kept as the parsed XML object (lists are arrays under
// `Items`) so whatever the SDK sends back round-trips unchanged.
// Cache policies: CreateCachePolicy and GetCachePolicy, the managed CachingOptimized and Elemental-MediaPackage
// ones known from the start. The edge keys its cache by the headers the deployed behaviour's policy lists.
import { randomBytes, randomUUID } from 'node:crypto';
import { XMLBuilder, XMLParser } from 'fast-xml-parser';
import { MANAGED_MEDIAPACKAGE_CACHE_POLICY, MANAGED_MEDIAPACKAGE_CACHE_POLICY_ID, edgeCachePolicyConfig, type CachePolicyConfig } from '../../edge/cache-policy.js';
import type { Registry } from '../../functions/domain/registry/index.js';
import { ORIGIN_GROUP_FAILOVER_STATUS_CODES } from '../../functions/domain/routing-keys.js';
import { ORIGIN_GROUP_FAILOVER_STATUSES } from '../media/edge.js';
import {
  ACCOUNT_ID,
  AwsServiceError,
  header,
  xmlError,
  type ResolvedOperation,
  type SandboxService,
  type WireRequest,
  type WireResponse,
} from './wire.js';

export const CLOUDFRONT_XMLNS = 'http://cloudfront.amazonaws.com/doc/2020-05-31/';

/** A node of the parsed XML (fast-xml-parser output with every leaf a string). */
export type XmlNode = { [k: string]: XmlValue };
export type XmlValue = string | XmlNode | XmlValue[];

const parser = new XMLParser({
  ignoreAttributes: true,
  ignoreDeclaration: true,
  parseTagValue: false,
  // Every element under an <Items> is a list member, even when there is only one.
  isArray: (_name, jpath) => String(jpath).split('.').slice(-2, -1)[0] === 'Items',
});
const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_', suppressEmptyNode: false });

export interface DistributionState {
  id: string;
  arn: string;
  domainName: string;
  etag: string;
  status: 'InProgress' | 'Deployed';
  lastModified: Date;
  config: XmlNode;
  /** The config the edge locations serve with: the previous one while an update is InProgress. */
  deployedConfig: XmlNode;
}

export interface DeployedOriginGroup {
  members: [string, string];
  /** FailoverCriteria.StatusCodes: the first member's answers that send the request to the second. */
  failoverStatusCodes: number[];
}

export interface OriginGroupChange {
  distributionId: string;
  etag: string;
  config: XmlNode;
}

export interface CachePolicyState {
  id: string;
  etag: string;
  lastModified: Date;
  /** The CachePolicyConfig as the API carries it (lists under `Items`). */
  config: XmlNode;
}

export class CloudFrontService implements SandboxService {
  readonly name = 'cloudfront' as const;
  private readonly distributions = new Map<string, DistributionState>();
  private readonly cachePolicies = new Map<string, CachePolicyState>(
    Object.entries(MANAGED_CACHE_POLICIES).map(([id, c]) => [id, { id, etag: newEtag(), lastModified: new Date(0), config: cachePolicyXml(c) }]),
  );
  private readonly listeners = new Set<(c: OriginGroupChange) => void>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly deployListeners = new Set<(distributionId: string) => void>();

  /** deployMs: how long an update stays InProgress (GetDistribution Status), fixed or drawn per update. */
  constructor(private readonly deployMs: number | (() => number) = 0) {}

  /**
   * One distribution per registry edge.distributionId, an origin per side, an origin group per channel, and a /live/*
   * behaviour with the stack's cache policy (edge/cache-policy.ts, created here), as the runbook sets it up.
   */
  seedFromRegistry(registry: Registry, liveCachePolicy: CachePolicyConfig = edgeCachePolicyConfig('sandbox')): void {
    const live = this.createCachePolicy(cachePolicyXml(liveCachePolicy));
    const byDist = new Map<string, Registry['channels']>();
    for (const c of registry.channels) byDist.set(c.edge.distributionId, [...(byDist.get(c.edge.distributionId) ?? []), c]);
    for (const [id, channels] of byDist) this.addDistribution(id, seedConfig(id, channels, live.id));
  }

  /** Creates a cache policy (CreateCachePolicy): names are unique per account. */
  createCachePolicy(config: XmlNode): CachePolicyState {
    const name = text(config.Name, 'CachePolicyConfig.Name');
    if ([...this.cachePolicies.values()].some((p) => p.config.Name === name))
      throw new AwsServiceError(409, 'CachePolicyAlreadyExists', `A cache policy with the name ${name} already exists.`);
    const headers = config.ParametersInCacheKeyAndForwardedToOrigin as XmlNode | undefined;
    const behavior = (headers?.HeadersConfig as XmlNode | undefined)?.HeaderBehavior;
    if (behavior !== 'none' && behavior !== 'whitelist') throw new AwsServiceError(400, 'InvalidArgument', 'HeadersConfig.HeaderBehavior must be none or whitelist');
    const state: CachePolicyState = { id: randomUUID(), etag: newEtag(), lastModified: new Date(), config };
    this.cachePolicies.set(state.id, state);
    return state;
  }

  /** The header names (lowercase) a cache policy puts in the cache key; undefined: no such policy. */
  cachePolicyHeaders(cachePolicyId: string): string[] | undefined {
    const policy = this.cachePolicies.get(cachePolicyId);
    if (!policy) return undefined;
    const headersConfig = (policy.config.ParametersInCacheKeyAndForwardedToOrigin as XmlNode | undefined)?.HeadersConfig as XmlNode | undefined;
    if (headersConfig?.HeaderBehavior !== 'whitelist') return [];
    return items(headersConfig.Headers, 'Name').map((n) => text(n, 'HeadersConfig.Headers.Items.Name').toLowerCase());
  }

  /**
   * The headers in the cache key of a viewer request for `path`, as the edge locations serve it: the cache policy of
   * the behaviour the path matches in the last Deployed config (an update InProgress has not reached them).
   */
  deployedCacheKeyHeaders(distributionId: string, path: string): string[] {
    const policyId = behaviourFor(this.distribution(distributionId).deployedConfig, path)?.CachePolicyId;
    return typeof policyId === 'string' && policyId !== '' ? (this.cachePolicyHeaders(policyId) ?? []) : [];
  }

  addDistribution(id: string, config: XmlNode): DistributionState {
    const d: DistributionState = {
      id,
      arn: `arn:aws:cloudfront::${ACCOUNT_ID}:distribution/${id}`,
      domainName: `d${id.toLowerCase().slice(0, 12)}.cloudfront.net`,
      etag: newEtag(),
      status: 'Deployed',
      lastModified: new Date(),
      config,
      deployedConfig: structuredClone(config),
    };
    this.distributions.set(id, d);
    return d;
  }

  distribution(id: string): DistributionState {
    const d = this.distributions.get(id);
    if (!d) throw new Error(`sandbox: no CloudFront distribution ${id}`);
    return d;
  }

  /** The current DistributionConfig (a deep copy). */
  config(distributionId: string): XmlNode {
    return structuredClone(this.distribution(distributionId).config);
  }

  /** Changes the config outside the API (scenario setup, e.g. loopback origin domains); bumps the ETag. */
  updateConfig(distributionId: string, mutate: (config: XmlNode) => void): void {
    const d = this.distribution(distributionId);
    mutate(d.config);
    this.commit(d);
  }

  /** Member origin ids of an origin group, in failover order (first = primary); a channel without a group has none. */
  originOrder(distributionId: string, originGroupId: string | undefined): [string, string] {
    const group = originGroupId === undefined ? undefined : findOriginGroup(this.distribution(distributionId).config, originGroupId);
    if (!group) throw new Error(`sandbox: no origin group ${originGroupId} in ${distributionId}`);
    const members = memberIds(group);
    return [members[0] ?? '', members[1] ?? ''];
  }

  /** The order the edge locations use: the last Deployed config's (an update InProgress has not reached them). */
  deployedOriginOrder(distributionId: string, originGroupId: string | undefined): [string, string] {
    return this.deployedOriginGroup(distributionId, originGroupId).members;
  }

  /** The group as the edge locations use it (the last Deployed config's): its members in order and its failover codes. */
  deployedOriginGroup(distributionId: string, originGroupId: string | undefined): DeployedOriginGroup {
    const group = originGroupId === undefined ? undefined : findOriginGroup(this.distribution(distributionId).deployedConfig, originGroupId);
    if (!group) throw new Error(`sandbox: no origin group ${originGroupId} in ${distributionId}`);
    const members = memberIds(group);
    return { members: [members[0] ?? '', members[1] ?? ''], failoverStatusCodes: failoverCodes(group) };
  }

  /** Called after every successful change of a distribution config. */
  onChange(listener: (c: OriginGroupChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Called when an update reaches Deployed (the edge locations now use it). */
  onDeployed(listener: (distributionId: string) => void): () => void {
    this.deployListeners.add(listener);
    return () => this.deployListeners.delete(listener);
  }

  dispose(): void {
    this.deployListeners.clear();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.listeners.clear();
  }

  throttleError(): AwsServiceError {
    return new AwsServiceError(400, 'Throttling', 'Rate exceeded');
  }

  renderError(err: AwsServiceError, req: WireRequest): WireResponse {
    return xmlError(err, CLOUDFRONT_XMLNS, req.requestId);
  }

  resolve(req: WireRequest): ResolvedOperation {
    if (req.path === '/2020-05-31/cache-policy' && req.method === 'POST') return { operation: 'CreateCachePolicy', mutating: true, run: () => this.createCachePolicyCall(req) };
    const policy = req.path.match(/^\/2020-05-31\/cache-policy\/([^/]+)$/);
    if (policy?.[1] && req.method === 'GET') {
      const id = decodeURIComponent(policy[1]);
      return { operation: 'GetCachePolicy', mutating: false, run: () => this.getCachePolicy(id) };
    }
    const m = req.path.match(/^\/2020-05-31\/distribution\/([^/]+)(\/config)?$/);
    if (m?.[1]) {
      const id = decodeURIComponent(m[1]);
      if (m[2] && req.method === 'GET') return { operation: 'GetDistributionConfig', mutating: false, run: () => this.getConfig(id) };
      if (m[2] && req.method === 'PUT') return { operation: 'UpdateDistribution', mutating: true, run: () => this.update(id, req) };
      if (!m[2] && req.method === 'GET') return { operation: 'GetDistribution', mutating: false, run: () => this.getDistribution(id) };
    }
    return {
      operation: 'Unknown',
      mutating: false,
      run: () => {
        throw new AwsServiceError(400, 'InvalidArgument', `sandbox CloudFront does not implement ${req.method} ${req.path}`);
      },
    };
  }

  private createCachePolicyCall(req: WireRequest): WireResponse {
    const config = parseXml(req.body).CachePolicyConfig;
    if (!config || typeof config !== 'object' || Array.isArray(config)) throw new AwsServiceError(400, 'MalformedInput', 'CachePolicyConfig is required');
    const policy = this.createCachePolicy(config);
    const response = xml(201, { CachePolicy: { '@_xmlns': CLOUDFRONT_XMLNS, ...cachePolicyBody(policy) } }, policy.etag);
    return { ...response, headers: { ...response.headers, location: `https://cloudfront.amazonaws.com/2020-05-31/cache-policy/${policy.id}` } };
  }

  private getCachePolicy(id: string): WireResponse {
    const policy = this.cachePolicies.get(id);
    if (!policy) throw new AwsServiceError(404, 'NoSuchCachePolicy', 'The cache policy does not exist.');
    return xml(200, { CachePolicy: { '@_xmlns': CLOUDFRONT_XMLNS, ...cachePolicyBody(policy) } }, policy.etag);
  }

  private find(id: string): DistributionState {
    const d = this.distributions.get(id);
    if (!d) throw new AwsServiceError(404, 'NoSuchDistribution', 'The specified distribution does not exist.');
    return d;
  }

  private getConfig(id: string): WireResponse {
    const d = this.find(id);
    return xml(200, { DistributionConfig: { '@_xmlns': CLOUDFRONT_XMLNS, ...d.config } }, d.etag);
  }

  private getDistribution(id: string): WireResponse {
    const d = this.find(id);
    return xml(200, { Distribution: { '@_xmlns': CLOUDFRONT_XMLNS, ...distributionBody(d) } }, d.etag);
  }

  private update(id: string, req: WireRequest): WireResponse {
    const d = this.find(id);
    const ifMatch = header(req, 'if-match');
    if (!ifMatch) throw new AwsServiceError(400, 'InvalidIfMatchVersion', 'The If-Match version is missing or not valid for the resource.');
    if (ifMatch !== d.etag) {
      throw new AwsServiceError(412, 'PreconditionFailed', 'The precondition given in one or more of the request-header fields evaluated to false.');
    }
    const config = parseXml(req.body).DistributionConfig;
    if (!config || typeof config !== 'object' || Array.isArray(config)) throw new AwsServiceError(400, 'MalformedInput', 'DistributionConfig is required');
    validate(config);
    for (const b of behaviours(config)) {
      const id = b.CachePolicyId;
      if (typeof id === 'string' && id !== '' && !this.cachePolicies.has(id)) throw new AwsServiceError(404, 'NoSuchCachePolicy', `The cache policy ${id} does not exist.`);
    }
    d.config = config;
    this.commit(d);
    return xml(200, { Distribution: { '@_xmlns': CLOUDFRONT_XMLNS, ...distributionBody(d) } }, d.etag);
  }

  private commit(d: DistributionState): void {
    d.etag = newEtag();
    d.lastModified = new Date();
    const deployMs = typeof this.deployMs === 'number' ? this.deployMs : this.deployMs();
    const config = structuredClone(d.config);
    if (deployMs > 0) {
      d.status = 'InProgress';
      const etag = d.etag;
      const t = setTimeout(() => {
        this.timers.delete(t);
        // A later update restarted the deployment: this one's config never becomes the deployed one alone.
        if (d.etag !== etag) return;
        d.status = 'Deployed';
        d.deployedConfig = config;
        for (const l of this.deployListeners) l(d.id);
      }, deployMs);
      t.unref();
      this.timers.add(t);
    } else d.deployedConfig = config;
    for (const l of this.listeners) l({ distributionId: d.id, etag: d.etag, config: structuredClone(d.config) });
  }
}

const newEtag = (): string => `E${randomBytes(6).toString('hex').toUpperCase()}`;

function parseXml(body: string): XmlNode {
  try {
    return parser.parse(body) as XmlNode;
  } catch {
    throw new AwsServiceError(400, 'MalformedXML', 'The XML document you provided was not well-formed.');
  }
}

/** Managed cache policies (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-cache-policies.html). */
const MANAGED_CACHE_POLICIES: Record<string, CachePolicyConfig> = {
  '658327ea-f89d-4fab-a63d-7e88639e58f6': {
    Name: 'Managed-CachingOptimized',
    Comment: 'Policy with caching enabled. Supports Gzip and Brotli compression.',
    MinTTL: 1,
    DefaultTTL: 86_400,
    MaxTTL: 31_536_000,
    ParametersInCacheKeyAndForwardedToOrigin: {
      EnableAcceptEncodingGzip: true,
      EnableAcceptEncodingBrotli: true,
      HeadersConfig: { HeaderBehavior: 'none' },
      CookiesConfig: { CookieBehavior: 'none' },
      QueryStringsConfig: { QueryStringBehavior: 'none' },
    },
  },
  [MANAGED_MEDIAPACKAGE_CACHE_POLICY_ID]: MANAGED_MEDIAPACKAGE_CACHE_POLICY,
};

/** CloudFormation's CachePolicyConfig in the API's XML shape (lists as Quantity + Items). */
function cachePolicyXml(c: CachePolicyConfig): XmlNode {
  const list = (names: string[] | undefined): XmlNode | undefined => (names ? { Quantity: String(names.length), Items: { Name: names } } : undefined);
  const p = c.ParametersInCacheKeyAndForwardedToOrigin;
  const headers = list(p.HeadersConfig.Headers);
  const queryStrings = list(p.QueryStringsConfig.QueryStrings);
  return {
    Comment: c.Comment,
    Name: c.Name,
    DefaultTTL: String(c.DefaultTTL),
    MaxTTL: String(c.MaxTTL),
    MinTTL: String(c.MinTTL),
    ParametersInCacheKeyAndForwardedToOrigin: {
      EnableAcceptEncodingGzip: String(p.EnableAcceptEncodingGzip),
      EnableAcceptEncodingBrotli: String(p.EnableAcceptEncodingBrotli),
      HeadersConfig: { HeaderBehavior: p.HeadersConfig.HeaderBehavior, ...(headers ? { Headers: headers } : {}) },
      CookiesConfig: { CookieBehavior: p.CookiesConfig.CookieBehavior },
      QueryStringsConfig: { QueryStringBehavior: p.QueryStringsConfig.QueryStringBehavior, ...(queryStrings ? { QueryStrings: queryStrings } : {}) },
    },
  };
}

function cachePolicyBody(p: CachePolicyState): XmlNode {
  return { Id: p.id, LastModifiedTime: p.lastModified.toISOString(), CachePolicyConfig: p.config };
}

/** The ordered cache behaviours, then the default one (no PathPattern). */
function behaviours(config: XmlNode): XmlNode[] {
  const d = config.DefaultCacheBehavior;
  return [...items(config.CacheBehaviors, 'CacheBehavior'), ...(d && typeof d === 'object' && !Array.isArray(d) ? [d] : [])];
}

/**
 * The behaviour that serves `path`: the first whose PathPattern matches (* any characters, ? one, case-sensitive),
 * else the default (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/DownloadDistValuesCacheBehavior.html#DownloadDistValuesPathPattern).
 */
function behaviourFor(config: XmlNode, path: string): XmlNode | undefined {
  return behaviours(config).find((b) => typeof b.PathPattern !== 'string' || pathPatternRegExp(b.PathPattern).test(path));
}

/** Compiled PathPatterns: the edge asks for every viewer request, and a distribution has a few patterns. */
const pathPatterns = new Map<string, RegExp>();

function pathPatternRegExp(pathPattern: string): RegExp {
  let re = pathPatterns.get(pathPattern);
  if (!re) {
    const pattern = pathPattern.startsWith('/') ? pathPattern : `/${pathPattern}`;
    re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
    pathPatterns.set(pathPattern, re);
  }
  return re;
}

function xml(status: number, doc: XmlNode, etag: string): WireResponse {
  return {
    status,
    headers: { 'content-type': 'text/xml', etag },
    body: `<?xml version="1.0" encoding="UTF-8"?>\n${builder.build(doc)}`,
  };
}

function distributionBody(d: DistributionState): XmlNode {
  return {
    Id: d.id,
    ARN: d.arn,
    Status: d.status,
    LastModifiedTime: d.lastModified.toISOString(),
    InProgressInvalidationBatches: '0',
    DomainName: d.domainName,
    ActiveTrustedSigners: { Enabled: 'false', Quantity: '0' },
    ActiveTrustedKeyGroups: { Enabled: 'false', Quantity: '0' },
    DistributionConfig: d.config,
  };
}

export const items = (node: XmlValue | undefined, member: string): XmlNode[] => {
  if (!node || typeof node !== 'object' || Array.isArray(node)) return [];
  const list = (node.Items as XmlNode | undefined)?.[member];
  return Array.isArray(list) ? (list as XmlNode[]) : [];
};

/** The text of an element (an Id, an OriginId); an element with children instead is CloudFront's MalformedXML. */
function text(value: XmlValue | undefined, what: string): string {
  if (typeof value !== 'string') throw new AwsServiceError(400, 'MalformedXML', `${what} must be a text element`);
  return value;
}

function findOriginGroup(config: XmlNode, id: string): XmlNode | undefined {
  return items(config.OriginGroups, 'OriginGroup').find((g) => g.Id === id);
}

function memberIds(group: XmlNode): string[] {
  return items(group.Members, 'OriginGroupMember').map((m) => text(m.OriginId, 'OriginGroupMember.OriginId'));
}

function failoverCodes(group: XmlNode): number[] {
  const codes = (group.FailoverCriteria as XmlNode | undefined)?.StatusCodes as XmlNode | undefined;
  const list = (codes?.Items as XmlNode | undefined)?.StatusCode;
  return (Array.isArray(list) ? list : []).map((code) => Number(text(code, 'StatusCodes.Items.StatusCode')));
}

/**
 * The checks CloudFront makes that matter to a repoint: consistent quantities, two members naming real origins,
 * failover codes among the ones origin failover accepts.
 */
function validate(config: XmlNode): void {
  const origins = new Set(items(config.Origins, 'Origin').map((o) => text(o.Id, 'Origin.Id')));
  for (const group of items(config.OriginGroups, 'OriginGroup')) {
    const id = text(group.Id, 'OriginGroup.Id');
    const members = memberIds(group);
    const quantity = Number((group.Members as XmlNode | undefined)?.Quantity);
    if (quantity !== members.length) throw new AwsServiceError(400, 'InconsistentQuantities', `Origin group ${id}: Quantity does not match Items`);
    if (members.length !== 2) throw new AwsServiceError(400, 'InvalidArgument', `Origin group ${id} must have exactly two members`);
    for (const m of members) {
      if (!origins.has(m)) throw new AwsServiceError(400, 'NoSuchOrigin', `Origin group ${id} names unknown origin ${m}`);
    }
    const codes = failoverCodes(group);
    const statusCodes = (group.FailoverCriteria as XmlNode | undefined)?.StatusCodes as XmlNode | undefined;
    if (Number(statusCodes?.Quantity) !== codes.length || codes.length === 0) {
      throw new AwsServiceError(400, 'InconsistentQuantities', `Origin group ${id}: FailoverCriteria.StatusCodes Quantity does not match Items (at least one)`);
    }
    const refused = codes.filter((code) => !ORIGIN_GROUP_FAILOVER_STATUSES.has(code));
    if (refused.length > 0) throw new AwsServiceError(400, 'InvalidArgument', `Origin group ${id}: FailoverCriteria status codes ${refused.join(', ')} are not allowed`);
    // SelectionCriteria is optional; its valid values (API_OriginGroup): default | media-quality-based.
    const selection = group.SelectionCriteria === undefined ? undefined : text(group.SelectionCriteria, 'OriginGroup.SelectionCriteria');
    if (selection !== undefined && selection !== 'default' && selection !== 'media-quality-based') {
      throw new AwsServiceError(400, 'InvalidArgument', `Origin group ${id}: SelectionCriteria "${selection}" is not default or media-quality-based`);
    }
  }
}

function seedConfig(distributionId: string, channels: Registry['channels'], liveCachePolicyId: string): XmlNode {
  const origins: XmlNode[] = [];
  const groups: XmlNode[] = [];
  const seen = new Set<string>();
  for (const c of channels) {
    for (const side of [c.primary, c.standby]) {
      // Channels may share an origin (one per MediaPackage v2 channel group and region): declared once.
      if (seen.has(side.originId)) continue;
      seen.add(side.originId);
      origins.push({
        Id: side.originId,
        DomainName: new URL(side.manifestUrl).host,
        OriginPath: '',
        CustomHeaders: { Quantity: '0' },
        CustomOriginConfig: {
          HTTPPort: '80',
          HTTPSPort: '443',
          OriginProtocolPolicy: 'https-only',
          OriginSslProtocols: { Quantity: '1', Items: { SslProtocol: ['TLSv1.2'] } },
          OriginReadTimeout: '30',
          OriginKeepaliveTimeout: '5',
        },
        ConnectionAttempts: '3',
        ConnectionTimeout: '10',
        OriginShield: { Enabled: 'false' },
        OriginAccessControlId: '',
      });
    }
    if (c.edge.originGroupId === undefined) continue;
    const codes = ORIGIN_GROUP_FAILOVER_STATUS_CODES.map(String);
    groups.push({
      Id: c.edge.originGroupId,
      FailoverCriteria: { StatusCodes: { Quantity: String(codes.length), Items: { StatusCode: codes } } },
      Members: { Quantity: '2', Items: { OriginGroupMember: [{ OriginId: c.primary.originId }, { OriginId: c.standby.originId }] } },
      SelectionCriteria: c.edge.originSelection,
    });
  }
  const first = channels[0]!;
  const behaviour: XmlNode = {
    TargetOriginId: first.edge.originGroupId ?? first.primary.originId,
    TrustedSigners: { Enabled: 'false', Quantity: '0' },
    TrustedKeyGroups: { Enabled: 'false', Quantity: '0' },
    ViewerProtocolPolicy: 'redirect-to-https',
    AllowedMethods: {
      Quantity: '3',
      Items: { Method: ['GET', 'HEAD', 'OPTIONS'] },
      CachedMethods: { Quantity: '2', Items: { Method: ['GET', 'HEAD'] } },
    },
    SmoothStreaming: 'false',
    Compress: 'true',
    FunctionAssociations: { Quantity: '0' },
    FieldLevelEncryptionId: '',
    CachePolicyId: '658327ea-f89d-4fab-a63d-7e88639e58f6',
  };
  // The edge router's behaviour, with the cache policy that keys by the route the function took (the runbook's setup).
  const live: XmlNode = { PathPattern: '/live/*', ...behaviour, CachePolicyId: liveCachePolicyId };
  return {
    CallerReference: `flatline-sandbox-${distributionId}`,
    Aliases: { Quantity: '0' },
    DefaultRootObject: '',
    Origins: { Quantity: String(origins.length), Items: { Origin: origins } },
    OriginGroups: { Quantity: String(groups.length), Items: { OriginGroup: groups } },
    DefaultCacheBehavior: behaviour,
    CacheBehaviors: { Quantity: '1', Items: { CacheBehavior: [live] } },
    CustomErrorResponses: { Quantity: '0' },
    Comment: 'flatline sandbox distribution',
    Logging: { Enabled: 'false', IncludeCookies: 'false', Bucket: '', Prefix: '' },
    PriceClass: 'PriceClass_All',
    Enabled: 'true',
    ViewerCertificate: { CloudFrontDefaultCertificate: 'true', SSLSupportMethod: 'vip', MinimumProtocolVersion: 'TLSv1', CertificateSource: 'cloudfront' },
    Restrictions: { GeoRestriction: { RestrictionType: 'none', Quantity: '0' } },
    WebACLId: '',
    HttpVersion: 'http2and3',
    IsIPV6Enabled: 'true',
    Staging: 'false',
  };
}
