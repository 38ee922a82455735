// Simulated MediaPackage origins on loopback. A LiveFeed is one channel's packaged output on one side,
// fed by that side's SimChannel: while the channel produces (any pipeline healthy and unpaused) the
// playlists advance with wall time; when it stops they freeze. An OriginServer is one region's
// MediaPackage: it serves every feed of that region under /live/<channelId>/...
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SimChannel } from './medialive-channel.js';
import {
  LADDER,
  mediaPlaylist,
  multivariantPlaylist,
  newestSegment,
  segmentBytes,
  windowSegments,
  type ProducedRange,
  type Rendition,
} from './hls.js';

export interface FeedOptions {
  /** Segment duration; drills use 1-2 s so that a drill takes well under a minute. */
  segmentMs?: number;
  /** Segments in the live window. */
  windowSegments?: number;
  /**
   * MediaPackage v2 ForceEndpointErrorConfiguration STALE_MANIFEST: answer 404 once the manifest has not
   * advanced for this long (null = serve the stale playlist with 200, the default of both versions).
   */
  staleNotFoundAfterMs?: number | null;
  /** Cache-Control max-age of playlists: MediaPackage advises half a segment, i.e. 1 s for 1-2 s segments. */
  manifestMaxAgeS?: number;
  now?: () => number;
}

export const SEGMENT_CACHE_CONTROL = 'max-age=14400';
/** Playlists' max-age when the feed names none (the drills' feeds). */
export const DEFAULT_MANIFEST_MAX_AGE_S = 1;

export class LiveFeed {
  readonly segmentMs: number;
  readonly window: number;
  staleNotFoundAfterMs: number | null;
  readonly manifestCacheControl: string;
  readonly ladder: readonly Rendition[] = LADDER;
  private readonly ranges: ProducedRange[] = [];
  private stalled = false;
  private readonly now: () => number;
  private readonly onOutput = (): void => this.refresh();

  constructor(
    readonly channelId: string,
    readonly channel: SimChannel,
    opts: FeedOptions = {},
  ) {
    this.segmentMs = opts.segmentMs ?? 1000;
    this.window = opts.windowSegments ?? 8;
    this.staleNotFoundAfterMs = opts.staleNotFoundAfterMs ?? null;
    this.manifestCacheControl = `max-age=${opts.manifestMaxAgeS ?? DEFAULT_MANIFEST_MAX_AGE_S}`;
    this.now = opts.now ?? Date.now;
    // A channel that is already on the air has a full window of history.
    if (this.producing) this.ranges.push({ from: Math.floor(this.now() / this.segmentMs) - this.window, to: null });
    channel.on('output', this.onOutput);
  }

  /** The packager receives new segments: the channel produces and the packager is not stalled. */
  get producing(): boolean {
    return this.channel.producing && !this.stalled;
  }

  /** Fault: the packager stops publishing while the channel keeps running (a stuck MediaPackage). */
  setStalled(stalled: boolean): void {
    this.stalled = stalled;
    this.refresh();
  }

  get isStalled(): boolean {
    return this.stalled;
  }

  /** Follows the channel: opens a range when production starts, closes it when it stops. */
  refresh(): void {
    const now = this.now();
    const open = this.ranges.at(-1)?.to === null ? this.ranges.at(-1) : undefined;
    if (this.producing && !open) {
      const from = Math.floor(now / this.segmentMs);
      const last = this.ranges.at(-1);
      // Resumed within the same segment slot: no segment was missed, so no discontinuity either.
      if (last && last.to !== null && last.to >= from - 1) last.to = null;
      else this.ranges.push({ from, to: null });
    } else if (!this.producing && open) {
      open.to = Math.floor(now / this.segmentMs) - 1;
      if (open.to < open.from) this.ranges.pop();
    }
    // Keep the history short: ranges older than the window are never served again.
    const oldest = Math.floor(now / this.segmentMs) - 4 * this.window;
    while (this.ranges.length > 2 && this.ranges[0]!.to !== null && this.ranges[0]!.to < oldest) this.ranges.shift();
  }

  newestSegment(now = this.now()): number | null {
    return newestSegment(this.ranges, this.segmentMs, now);
  }

  /** Epoch ms when the newest segment was published (X-MediaPackage-Manifest-Last-Updated). */
  lastUpdatedMs(now = this.now()): number | null {
    const n = this.newestSegment(now);
    return n === null ? null : (n + 1) * this.segmentMs;
  }

  /** Manifest age as the probe measures it: now minus the wall-clock end of the newest media. */
  ageMs(now = this.now()): number | null {
    const updated = this.lastUpdatedMs(now);
    return updated === null ? null : now - updated;
  }

  hasSegment(n: number, now = this.now()): boolean {
    if ((n + 1) * this.segmentMs > now) return false;
    return this.ranges.some((r) => n >= r.from && (r.to === null || n <= r.to));
  }

  multivariant(): string {
    return multivariantPlaylist(this.ladder);
  }

  mediaPlaylist(rendition: string, now = this.now()): string {
    const { segments, discontinuitySequence } = windowSegments(this.ranges, this.segmentMs, now, this.window);
    return mediaPlaylist({ segments, discontinuitySequence, segmentMs: this.segmentMs, uri: (n) => `${rendition}/${n}.ts` });
  }

  dispose(): void {
    this.channel.off('output', this.onOutput);
  }
}

export interface OriginStats {
  requests: number;
  manifests: number;
  segments: number;
  notFound: number;
}

/** One region's MediaPackage: an HTTP server on 127.0.0.1 serving the feeds of that region. */
export class OriginServer {
  readonly stats: OriginStats = { requests: 0, manifests: 0, segments: 0, notFound: 0 };
  private readonly feeds = new Map<string, LiveFeed>();
  private down = false;
  private blackhole = false;
  private latencyMs = 0;

  private constructor(
    readonly region: string,
    private readonly server: Server,
    readonly url: string,
    private readonly now: () => number,
  ) {}

  static async start(region: string, opts: { now?: () => number } = {}): Promise<OriginServer> {
    const server = createServer();
    server.keepAliveTimeout = 30_000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const origin = new OriginServer(region, server, `http://127.0.0.1:${port}`, opts.now ?? Date.now);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => origin.handle(req, res));
    return origin;
  }

  addFeed(feed: LiveFeed): void {
    this.feeds.set(feed.channelId, feed);
  }

  feed(channelId: string): LiveFeed | undefined {
    return this.feeds.get(channelId);
  }

  /** Manifest URL of a channel on this origin (what the derived registry's manifestUrl points at). */
  manifestUrl(channelId: string): string {
    return `${this.url}/live/${channelId}/index.m3u8`;
  }

  /** Fault: the whole region is unreachable (every request answers 503). */
  setDown(down: boolean): void {
    this.down = down;
  }

  /** Fault: requests are accepted and never answered (a blackholed region); the edge's origin timeout ends them. */
  setBlackhole(on: boolean): void {
    this.blackhole = on;
  }

  /** The origin answers requests (neither down nor blackholed): what an origin group's failover depends on. */
  get answering(): boolean {
    return !this.down && !this.blackhole;
  }

  /** Fault: every response is delayed (a slow origin). */
  setLatency(ms: number): void {
    this.latencyMs = ms;
  }

  async close(): Promise<void> {
    for (const feed of this.feeds.values()) feed.dispose();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    if (this.blackhole) return;
    if (this.latencyMs > 0) {
      setTimeout(() => this.respond(req, res), this.latencyMs);
      return;
    }
    this.respond(req, res);
  }

  private respond(req: IncomingMessage, res: ServerResponse): void {
    this.stats.requests++;
    if (this.down) return this.reply(res, req, 503, { 'cache-control': 'no-store' }, 'region unavailable\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') return this.reply(res, req, 405, {}, 'method not allowed\n');
    const path = (req.url ?? '/').split('?')[0]!;
    const m = /^\/live\/([a-z0-9-]+)\/(.+)$/.exec(path);
    const feed = m ? this.feeds.get(m[1]!) : undefined;
    if (!m || !feed) return this.notFound(req, res);
    const now = this.now();
    const rest = m[2]!;
    const segment = /^([\w-]+)\/(\d+)\.ts$/.exec(rest);
    if (segment) {
      const n = Number(segment[2]);
      if (!feed.ladder.some((r) => r.name === segment[1]) || !feed.hasSegment(n, now)) return this.notFound(req, res);
      this.stats.segments++;
      return this.reply(res, req, 200, { 'content-type': 'video/mp2t', 'cache-control': SEGMENT_CACHE_CONTROL }, segmentBytes(segment[1]!, n));
    }
    const playlist = /^([\w-]+)\.m3u8$/.exec(rest);
    if (!playlist) return this.notFound(req, res);
    const updated = feed.lastUpdatedMs(now);
    // Nothing packaged yet (a cold standby that never ran): MediaPackage has no manifest to serve.
    if (updated === null) return this.notFound(req, res);
    if (feed.staleNotFoundAfterMs !== null && now - updated > feed.staleNotFoundAfterMs) return this.notFound(req, res);
    const name = playlist[1]!;
    let body: string;
    if (name === 'index') body = feed.multivariant();
    else if (feed.ladder.some((r) => r.name === name)) body = feed.mediaPlaylist(name, now);
    else return this.notFound(req, res);
    this.stats.manifests++;
    return this.reply(
      res,
      req,
      200,
      {
        'content-type': 'application/vnd.apple.mpegurl',
        'cache-control': feed.manifestCacheControl,
        'x-mediapackage-manifest-last-updated': String(updated),
        'x-mediapackage-manifest-last-sequence': String(feed.newestSegment(now)),
      },
      body,
    );
  }

  private notFound(req: IncomingMessage, res: ServerResponse): void {
    this.stats.notFound++;
    this.reply(res, req, 404, { 'cache-control': 'max-age=1' }, 'not found\n');
  }

  private reply(res: ServerResponse, req: IncomingMessage, status: number, headers: Record<string, string>, body: string | Buffer): void {
    const bytes = typeof body === 'string' ? Buffer.from(body) : body;
    res.writeHead(status, { ...headers, 'content-length': String(bytes.length) });
    res.end(req.method === 'HEAD' ? undefined : bytes);
  }
}
