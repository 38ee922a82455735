// A CloudFront edge on loopback. For every viewer request it runs the edge router (the real CloudFront
// Function through its node:vm harness in the sandbox), picks the origin (the origin the router selected, else
// the origin group the router created for the request, else the distribution's origin group as deployed: its
// order and its FailoverCriteria; a group fails over to its second member on its failover statuses), caches by Cache-Control max-age with request collapsing (concurrent misses
// for one cache key make one origin fetch) and serves the slate. The cache key is the URI after the function ran
// plus the values of the request headers the behaviour's cache policy lists (as deployed); those headers also go
// to the origin (https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_CachePolicyHeadersConfig.html).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, errors, request } from 'undici';
import type { Registry } from '../../functions/domain/registry/index.js';
import { LIVE_PREFIX } from '../../functions/domain/routing-keys.js';
import { segmentBytes, slatePlaylist } from './hls.js';

/** What the viewer-request function decided (the shape of the edge harness's EdgeDecision). */
export interface EdgeDecision {
  uri: string;
  /** null = the default origin (the channel's origin group). */
  originId: string | null;
  /** The request's own origin group (cf.createRequestOriginGroup): its order and codes replace the behaviour's group. */
  originGroup?: { originIds: Array<{ originId: string }>; failoverCriteria: { statusCodes: number[] } } | undefined;
  /** The function answered the viewer itself. */
  response?: { statusCode: number; headers?: Record<string, string | { value: string }> } | undefined;
  /** The request as the function returned it: the headers it added (x-flatline-route) count for the cache key. */
  request?: { headers?: Record<string, { value: string }> } | undefined;
}

export interface EdgeRouter {
  handle(req: { uri: string; method?: string }): Promise<EdgeDecision> | EdgeDecision;
}

/** An origin group as the edge locations serve with it: members in failover order, the statuses it fails over on. */
export interface OriginGroupView {
  members: readonly [string, string];
  failoverStatusCodes: readonly number[];
}

/** The distribution's origin group (the one UpdateDistribution changes), as deployed to the edge locations. */
export type OriginGroupLookup = (distributionId: string, originGroupId: string) => OriginGroupView;

/**
 * The header names (lowercase) in the cache key of a viewer request for `path` of a distribution: those the cache
 * policy of the behaviour serving the path lists, as deployed to the edge locations.
 */
export type CacheKeyHeadersLookup = (distributionId: string, path: string) => readonly string[];

/** The statuses an origin group's FailoverCriteria may list, for GET/HEAD/OPTIONS. */
export const ORIGIN_GROUP_FAILOVER_STATUSES: ReadonlySet<number> = new Set([400, 403, 404, 416, 429, 500, 502, 503, 504]);

/** Leaves every request on the default origin: the edge without a function associated. */
export const passthroughRouter: EdgeRouter = { handle: ({ uri }) => ({ uri, originId: null }) };

export interface EdgeOptions {
  registry: Registry;
  /** CloudFront origin id -> base URL of that origin (a loopback OriginServer). */
  origins: Record<string, string>;
  originGroup: OriginGroupLookup;
  /** Default: no headers in any cache key (the URI alone, as with a policy that lists none). */
  cacheKeyHeaders?: CacheKeyHeadersLookup;
  router?: EdgeRouter;
  /** Segment duration of the slate loop. */
  slateSegmentMs?: number;
  originTimeoutMs?: number;
  now?: () => number;
}

interface CachedResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  storedAt: number;
  expiresAt: number;
  originId: string;
  /** The status an origin group's FailoverCriteria match when the origin did not answer (503 or 504), else `status`. */
  failoverStatus?: number;
}

export interface EdgeStats {
  requests: number;
  hits: number;
  misses: number;
  /** Requests that joined a fetch already in flight for the same cache key. */
  collapsed: number;
  originFetches: number;
  /** Origin group failovers to the second member. */
  groupFailovers: number;
  slate: number;
  byOrigin: Record<string, number>;
}

const SLATE_ORIGIN = 'slate';
const DEFAULT_SLATE_WINDOW = 6;

/** Parses max-age out of Cache-Control; null = not cacheable (no-store, no-cache, private or absent). */
export function cacheTtlMs(cacheControl: string | undefined): number | null {
  if (!cacheControl) return null;
  const directives = cacheControl.toLowerCase().split(',').map((d) => d.trim());
  if (directives.some((d) => d === 'no-store' || d === 'no-cache' || d === 'private')) return null;
  const maxAge = directives.find((d) => d.startsWith('s-maxage=')) ?? directives.find((d) => d.startsWith('max-age='));
  if (!maxAge) return null;
  const seconds = Number(maxAge.slice(maxAge.indexOf('=') + 1));
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : null;
}

export class Edge {
  readonly stats: EdgeStats = { requests: 0, hits: 0, misses: 0, collapsed: 0, originFetches: 0, groupFailovers: 0, slate: 0, byOrigin: {} };
  router: EdgeRouter;
  private readonly cache = new Map<string, CachedResponse>();
  private readonly inflight = new Map<string, Promise<CachedResponse>>();
  private readonly agent = new Agent({ connections: 64, keepAliveTimeout: 30_000, pipelining: 1 });
  private readonly slateDirs: string[];
  private readonly now: () => number;
  private readonly slateSegmentMs: number;

  private constructor(
    private readonly opts: EdgeOptions,
    private readonly server: Server,
    readonly url: string,
  ) {
    this.router = opts.router ?? passthroughRouter;
    this.now = opts.now ?? Date.now;
    this.slateSegmentMs = opts.slateSegmentMs ?? 1000;
    this.slateDirs = [...new Set(opts.registry.channels.map((c) => c.edge.slatePath.slice(0, c.edge.slatePath.lastIndexOf('/') + 1)))];
  }

  static async start(opts: EdgeOptions): Promise<Edge> {
    const server = createServer();
    server.keepAliveTimeout = 30_000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const edge = new Edge(opts, server, `http://127.0.0.1:${port}`);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      edge.serve(req, res).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`edge error: ${(err as Error).message}\n`);
      });
    });
    return edge;
  }

  /** The viewer URL of a channel's multivariant playlist on this edge (the derived edge.manifestUrl). */
  manifestUrl(channelId: string): string {
    return `${this.url}${LIVE_PREFIX}${channelId}/index.m3u8`;
  }

  /** Drops every cached object (an invalidation of /*). */
  invalidate(): void {
    this.cache.clear();
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    await this.agent.close();
  }

  /** Serves one viewer request: function, cache, origin. Exposed for in-process callers too. */
  async get(uri: string, method = 'GET'): Promise<{ status: number; headers: Record<string, string>; body: Buffer }> {
    this.stats.requests++;
    let decision: EdgeDecision;
    try {
      decision = await this.router.handle({ uri, method });
    } catch (err) {
      // A function that throws makes CloudFront answer 503 (FunctionExecutionError).
      return { status: 503, headers: { 'x-cache': 'FunctionExecutionError from cloudfront' }, body: Buffer.from(`${(err as Error).message}\n`) };
    }
    if (decision.response) {
      // CloudFront Functions write headers as { name: { value } }.
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(decision.response.headers ?? {})) headers[k] = typeof v === 'string' ? v : v.value;
      return { status: decision.response.statusCode, headers: { ...headers, 'x-cache': 'FunctionGeneratedResponse from cloudfront' }, body: Buffer.alloc(0) };
    }
    // The cache key is the URI after the function ran plus the listed headers' values; the origin is not part of
    // it (which is why both origins must serve compatible paths, and why the function names its route in a header).
    const forward = this.keyHeaders(uri, decision);
    const key = [decision.uri, ...Object.entries(forward).map(([name, value]) => `${name}:${value}`)].join('\n');
    const now = this.now();
    const hit = this.cache.get(key);
    if (hit && hit.expiresAt > now) {
      this.stats.hits++;
      return this.respond(hit, 'Hit', now);
    }
    let pending = this.inflight.get(key);
    if (pending) {
      this.stats.collapsed++;
    } else {
      this.stats.misses++;
      pending = this.fetchFromOrigin(decision, forward).finally(() => this.inflight.delete(key));
      this.inflight.set(key, pending);
    }
    const fetched = await pending;
    if (fetched.expiresAt > fetched.storedAt) this.cache.set(key, fetched);
    return this.respond(fetched, 'Miss', this.now());
  }

  /**
   * The request headers of the cache key, by name, as the function left them: the behaviour is the one the viewer's
   * path matches (before the function ran), so a slate rewrite keeps the /live/* behaviour's policy.
   */
  private keyHeaders(viewerUri: string, decision: EdgeDecision): Record<string, string> {
    const channel = this.channelOf(viewerUri);
    const names = channel && this.opts.cacheKeyHeaders ? this.opts.cacheKeyHeaders(channel.edge.distributionId, viewerUri) : [];
    const out: Record<string, string> = {};
    for (const name of names) {
      const value = decision.request?.headers?.[name]?.value;
      if (value !== undefined) out[name] = value;
    }
    return out;
  }

  private respond(entry: CachedResponse, kind: 'Hit' | 'Miss', now: number): { status: number; headers: Record<string, string>; body: Buffer } {
    return {
      status: entry.status,
      headers: {
        ...entry.headers,
        'x-cache': `${kind} from cloudfront`,
        age: String(Math.max(0, Math.floor((now - entry.storedAt) / 1000))),
        'x-flatline-origin': entry.originId,
      },
      body: entry.body,
    };
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const uri = (req.url ?? '/').split('?')[0]!;
    const method = req.method ?? 'GET';
    const r = await this.get(uri, method);
    res.writeHead(r.status, { ...r.headers, 'content-length': String(r.body.length) });
    res.end(method === 'HEAD' ? undefined : r.body);
  }

  private async fetchFromOrigin(decision: EdgeDecision, forward: Record<string, string>): Promise<CachedResponse> {
    const { uri } = decision;
    if (this.slateDirs.some((dir) => uri.startsWith(dir))) return this.slate(uri);
    if (decision.originId !== null) return this.fetchOrigin(decision.originId, uri, forward);
    const group = decision.originGroup;
    // The function's failoverCriteria replace the group's (cf.createRequestOriginGroup).
    if (group) return this.fetchGroup(group.originIds[0]!.originId, group.originIds[1]!.originId, uri, group.failoverCriteria.statusCodes, forward);
    const channel = this.channelOf(uri);
    if (!channel) {
      const now = this.now();
      return { status: 404, headers: { 'content-type': 'text/plain' }, body: Buffer.from('no behaviour matches\n'), storedAt: now, expiresAt: now, originId: 'none' };
    }
    // A channel without an origin group sits on the behaviour's default target: its primary origin, no failover.
    if (channel.edge.originGroupId === undefined) return this.fetchOrigin(channel.primary.originId, uri, forward);
    const { members, failoverStatusCodes } = this.opts.originGroup(channel.edge.distributionId, channel.edge.originGroupId);
    return this.fetchGroup(members[0], members[1], uri, failoverStatusCodes, forward);
  }

  /** An origin group: its first member, or the second when the first answers one of `codes` (an allowed one). */
  private async fetchGroup(first: string, second: string, uri: string, codes: readonly number[], forward: Record<string, string>): Promise<CachedResponse> {
    const primary = await this.fetchOrigin(first, uri, forward);
    const status = primary.failoverStatus ?? primary.status;
    if (!ORIGIN_GROUP_FAILOVER_STATUSES.has(status) || !codes.includes(status)) return primary;
    this.stats.groupFailovers++;
    return this.fetchOrigin(second, uri, forward);
  }

  private channelOf(uri: string): Registry['channels'][number] | undefined {
    if (!uri.startsWith(LIVE_PREFIX)) return undefined;
    const id = uri.slice(LIVE_PREFIX.length).split('/')[0];
    return this.opts.registry.channels.find((c) => c.id === id);
  }

  private async fetchOrigin(originId: string, uri: string, forward: Record<string, string>): Promise<CachedResponse> {
    this.stats.originFetches++;
    this.stats.byOrigin[originId] = (this.stats.byOrigin[originId] ?? 0) + 1;
    const base = this.opts.origins[originId];
    const storedAt = this.now();
    if (!base) {
      return { status: 502, headers: { 'content-type': 'text/plain' }, body: Buffer.from(`unknown origin ${originId}\n`), storedAt, expiresAt: storedAt, originId };
    }
    try {
      const timeout = this.opts.originTimeoutMs ?? 2000;
      const res = await request(`${base}${uri}`, { dispatcher: this.agent, headers: forward, headersTimeout: timeout, bodyTimeout: timeout });
      const body = Buffer.from(await res.body.arrayBuffer());
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(res.headers)) {
        if (value === undefined || name === 'content-length' || name === 'connection' || name === 'keep-alive' || name === 'date') continue;
        headers[name] = Array.isArray(value) ? value.join(', ') : value;
      }
      const ttl = cacheTtlMs(headers['cache-control']) ?? 0;
      return { status: res.statusCode, headers, body, storedAt, expiresAt: storedAt + ttl, originId };
    } catch (err) {
      // Connection refused / timeout: CloudFront answers 502/504; an origin group fails over on a connection
      // failure when its codes list 503, on a timeout when they list 504 (high_availability_origin_failover.html).
      const timedOut = err instanceof errors.HeadersTimeoutError || err instanceof errors.BodyTimeoutError;
      const body = Buffer.from(`origin ${originId}: ${(err as Error).message}\n`);
      return { status: 504, failoverStatus: timedOut ? 504 : 503, headers: { 'content-type': 'text/plain' }, body, storedAt, expiresAt: storedAt, originId };
    }
  }

  private slate(uri: string): CachedResponse {
    this.stats.slate++;
    const now = this.now();
    const slatePath = this.opts.registry.channels.find((c) => c.edge.slatePath === uri)?.edge.slatePath;
    if (slatePath) {
      const body = Buffer.from(slatePlaylist(slatePath, this.slateSegmentMs, now, DEFAULT_SLATE_WINDOW));
      return { status: 200, headers: { 'content-type': 'application/vnd.apple.mpegurl', 'cache-control': 'max-age=1' }, body, storedAt: now, expiresAt: now + 1000, originId: SLATE_ORIGIN };
    }
    const segment = /slate-(\d+)\.ts$/.exec(uri);
    if (segment) {
      const body = segmentBytes('slate', Number(segment[1]));
      return { status: 200, headers: { 'content-type': 'video/mp2t', 'cache-control': 'max-age=14400' }, body, storedAt: now, expiresAt: now + 14_400_000, originId: SLATE_ORIGIN };
    }
    return { status: 404, headers: { 'cache-control': 'max-age=1' }, body: Buffer.from('not found\n'), storedAt: now, expiresAt: now + 1000, originId: SLATE_ORIGIN };
  }
}
