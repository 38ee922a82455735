// A live HLS origin on loopback for the probe's tests and benchmark. Every stream is a keyframe-aligned ladder
// generated from a clock (by sandbox/media/hls.ts): segment n covers [n*D, (n+1)*D) of epoch time, so renditions
// carry the same PDT for the same media sequence, and the newest segment ends at most one segment duration ago.
// Faults per stream or per rendition (see Fault): stall, regress, HTTP errors, a hang, a delay, and no PDT.
//
// URLs: /<stream>/index.m3u8 (multivariant), /<stream>/<rendition>.m3u8 (media). <stream> may contain slashes.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mediaPlaylist, multivariantPlaylist, namedLadder, windowSegments } from '../media/hls.js';

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
  /** Each segment appears up to this fraction of its duration late (pseudo-random per segment, below 1). */
  jitter?: number;
}

export const DEFAULT_LADDER = ['1080p', '720p', '540p', '360p', '234p', 'audio'] as const;

/** How late segment n appears, as a fraction of the jitter: deterministic, spread over [0, 1). */
export function lateness(n: number): number {
  const x = Math.sin(n * 12.9898) * 43758.5453;
  return x - Math.floor(x);
}
export interface LiveOriginOptions {
  clock?: () => number;
  segmentS?: number;
  window?: number;
  renditions?: readonly string[];
  cacheControl?: string;
  /** Fault.jitter of every stream that sets none (segments appear up to this fraction of a duration late). */
  jitter?: number;
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
    this.#o = { clock: Date.now, segmentS: 1, window: 6, renditions: DEFAULT_LADDER, cacheControl: 'max-age=1', jitter: 0, ...options };
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

  /** The newest segment complete at the clock (or when the stream stalled), moved back by `regress` segments. */
  #mediaPlaylist(rendition: string, fault: Fault): string {
    const now = this.#o.clock();
    let t = fault.stallAt === undefined ? now : Math.min(now, fault.stallAt);
    const segmentMs = this.#o.segmentS * 1000;
    // A late segment is not listed yet (jitter < 1: at most the newest one is late).
    const jitter = fault.jitter ?? this.#o.jitter;
    const newest = Math.floor(t / segmentMs) - 1;
    if (jitter && (newest + 1) * segmentMs + lateness(newest) * jitter * segmentMs > t) t = (newest + 1) * segmentMs - 1;
    const { segments } = windowSegments([{ from: 0, to: null }], segmentMs, t - (fault.regress ?? 0) * segmentMs, this.#o.window);
    return mediaPlaylist({ segments, segmentMs, pdt: fault.pdt === false ? 'none' : 'every', uri: (n) => `${rendition}/${n}.ts` });
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
      if (file === 'index') body = multivariantPlaylist(namedLadder(this.#o.renditions));
      else if (this.#o.renditions.includes(file)) body = this.#mediaPlaylist(file, fault);
      else return void res.writeHead(404).end();
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
