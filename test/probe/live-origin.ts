// A live HLS origin on loopback for the probe's tests and benchmark. Every stream is a keyframe-aligned ladder
// generated from a clock: segment n covers [n*D, (n+1)*D) of epoch time, so renditions carry the same PDT for
// the same media sequence, and the newest segment ends at most one segment duration ago. Faults per stream
// or per rendition: stall (media frozen at a time), regress (sequence goes back), HTTP errors, a hang (no
// answer at all), a delay, and no PDT (age only by tracking).
//
// URLs: /<stream>/index.m3u8 (multivariant), /<stream>/<rendition>.m3u8 (media). <stream> may contain slashes.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Fault =
  | { kind: 'stall'; at: number }
  | { kind: 'regress'; by: number }
  | { kind: 'error'; status: number }
  | { kind: 'hang' }
  | { kind: 'delay'; ms: number }
  | { kind: 'nopdt' };

export const DEFAULT_LADDER = ['1080p', '720p', '540p', '360p', '234p', 'audio'] as const;

export interface MediaPlaylistOptions {
  /** Epoch ms "now" as the origin sees it. */
  t: number;
  segmentS: number;
  window: number;
  pdt: boolean;
  /** Shift the newest segment back by this many (a packager restart). */
  regress?: number;
  rendition: string;
}

/** A live media playlist whose newest complete segment ends at or before `t`. */
export function mediaPlaylist(o: MediaPlaylistOptions): string {
  const dMs = o.segmentS * 1000;
  const newest = Math.floor(o.t / dMs) - 1 - (o.regress ?? 0);
  const first = Math.max(0, newest - o.window + 1);
  const lines = ['#EXTM3U', '#EXT-X-VERSION:6', `#EXT-X-TARGETDURATION:${Math.ceil(o.segmentS)}`, `#EXT-X-MEDIA-SEQUENCE:${first}`];
  for (let n = first; n <= newest; n++) {
    if (o.pdt) lines.push(`#EXT-X-PROGRAM-DATE-TIME:${new Date(n * dMs).toISOString()}`);
    lines.push(`#EXTINF:${o.segmentS.toFixed(3)},`, `${o.rendition}/${n}.ts`);
  }
  return `${lines.join('\n')}\n`;
}

export function multivariantPlaylist(renditions: readonly string[]): string {
  const lines = ['#EXTM3U', '#EXT-X-VERSION:6', '#EXT-X-INDEPENDENT-SEGMENTS'];
  renditions.forEach((r, i) => {
    const height = Number.parseInt(r, 10);
    const resolution = Number.isFinite(height) ? `,RESOLUTION=${Math.round((height * 16) / 9)}x${height}` : '';
    lines.push(`#EXT-X-STREAM-INF:BANDWIDTH=${(renditions.length - i) * 800_000}${resolution}`, `${r}.m3u8`);
  });
  return `${lines.join('\n')}\n`;
}

export interface LiveOriginOptions {
  clock?: () => number;
  segmentS?: number;
  window?: number;
  renditions?: readonly string[];
  cacheControl?: string;
}

export class LiveOrigin {
  readonly #server: Server;
  readonly #faults = new Map<string, Fault>();
  readonly #o: Required<LiveOriginOptions>;
  #base = '';
  /** Requests served, by path. */
  readonly hits = new Map<string, number>();

  constructor(options: LiveOriginOptions = {}) {
    this.#o = { clock: Date.now, segmentS: 1, window: 6, renditions: DEFAULT_LADDER, cacheControl: 'max-age=1', ...options };
    this.#server = createServer((req, res) => this.#serve(req, res));
    this.#server.keepAliveTimeout = 60_000;
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    const { port } = this.#server.address() as AddressInfo;
    this.#base = `http://127.0.0.1:${port}`;
    return this.#base;
  }

  get base(): string {
    return this.#base;
  }

  /** URL of a stream's multivariant playlist. */
  url(stream: string, file = 'index.m3u8'): string {
    return `${this.#base}/${stream}/${file}`;
  }

  /** Sets a fault on a whole stream, or on one rendition of it. */
  set(stream: string, fault: Fault, rendition?: string): void {
    this.#faults.set(rendition ? `${stream}/${rendition}` : stream, fault);
  }

  clear(stream: string, rendition?: string): void {
    this.#faults.delete(rendition ? `${stream}/${rendition}` : stream);
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #serve(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0] as string;
    this.hits.set(path, (this.hits.get(path) ?? 0) + 1);
    const m = /^\/(.+)\/([^/]+)\.m3u8$/.exec(path);
    if (!m) return void res.writeHead(404).end();
    const [, stream, file] = m as unknown as [string, string, string];
    const fault = this.#faults.get(`${stream}/${file}`) ?? this.#faults.get(stream);
    const respond = (): void => {
      if (fault?.kind === 'error') return void res.writeHead(fault.status, { 'content-type': 'text/plain' }).end('error');
      let body: string;
      if (file === 'index') body = multivariantPlaylist(this.#o.renditions);
      else if (this.#o.renditions.includes(file)) {
        const now = this.#o.clock();
        body = mediaPlaylist({
          t: fault?.kind === 'stall' ? Math.min(now, fault.at) : now,
          segmentS: this.#o.segmentS,
          window: this.#o.window,
          pdt: fault?.kind !== 'nopdt',
          regress: fault?.kind === 'regress' ? fault.by : 0,
          rendition: file,
        });
      } else return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'application/vnd.apple.mpegurl', 'cache-control': this.#o.cacheControl }).end(body);
    };
    if (fault?.kind === 'hang') return; // never answers; close() drops the socket
    if (fault?.kind === 'delay') setTimeout(respond, fault.ms);
    else respond();
  }
}
