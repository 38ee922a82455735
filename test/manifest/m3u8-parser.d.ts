// m3u8-parser ships no types; only what the differential test and the benchmark use.
declare module 'm3u8-parser' {
  export class Parser {
    push(chunk: string): void;
    end(): void;
    manifest: {
      mediaSequence?: number;
      segments?: Array<{ uri?: string; duration?: number }>;
      playlists?: unknown[];
      skip?: { skippedSegments?: number };
    };
  }
}
