// A live HLS origin on loopback for the probe's tests and benchmark. Every stream is a keyframe-aligned ladder
// generated from a clock: segment n covers [n*D, (n+1)*D) of epoch time, so renditions carry the same PDT for
// the same media sequence, and the newest segment ends at most one segment duration ago. Faults per stream
// or per rendition (see Fault): stall, regress, HTTP errors, a hang, a delay, and no PDT.
//
// URLs: /<stream>/index.m3u8 (multivariant), /<stream>/<rendition>.m3u8 (media). <stream> may contain slashes.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Faults combine: e.g. { pdt: false, stallAt } is a frozen playlist without a wall clock. */
export interface Fault {
  /** The media stops advancing at this (clock) time. */
  stallAt?: number;
  /** The newest segment moves back by this many segments (a packager restart). */
  regress?: number;
  /** Answer every request with this HTTP status. */
  status?: number;
  /** Never answer (the socket stays open until close()). */
  hang?: boolean;
  /** Answer after this many (real) ms. */
  delayMs?: number;
  /** false: no EXT-X-PROGRAM-DATE-TIME (the age can only be tracked). */
  pdt?: boolean;
}

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
  /** Requests left unanswered right now (hang faults), and responses sent while one was. */
  hanging = 0;
  answeredWhileHanging = 0;

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

  /** Sets (merges) a fault on a whole stream, or on one rendition of it. */
  set(stream: string, fault: Fault, rendition?: string): void {
    const key = rendition ? `${stream}/${rendition}` : stream;
    this.#faults.set(key, { ...this.#faults.get(key), ...fault });
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
    const fault: Fault = { ...this.#faults.get(stream), ...this.#faults.get(`${stream}/${file}`) };
    const respond = (): void => {
      if (fault.status !== undefined) return void res.writeHead(fault.status, { 'content-type': 'text/plain' }).end('error');
      let body: string;
      if (file === 'index') body = multivariantPlaylist(this.#o.renditions);
      else if (this.#o.renditions.includes(file)) {
        const now = this.#o.clock();
        body = mediaPlaylist({
          t: fault.stallAt === undefined ? now : Math.min(now, fault.stallAt),
          segmentS: this.#o.segmentS,
          window: this.#o.window,
          pdt: fault.pdt !== false,
          regress: fault.regress ?? 0,
          rendition: file,
        });
      } else return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'application/vnd.apple.mpegurl', 'cache-control': this.#o.cacheControl }).end(body);
    };
    if (fault.hang) {
      // Never answers; close() (or the client giving up) drops the socket.
      this.hanging++;
      res.on('close', () => this.hanging--);
      return;
    }
    if (this.hanging > 0) res.on('finish', () => this.answeredWhileHanging++);
    if (fault.delayMs) setTimeout(respond, fault.delayMs);
    else respond();
  }
}
