// The one-pass scanner against two full parsers: the segment list it summarises (count, sum of EXTINF,
// media sequence, skipped segments) must be what hls-parser and m3u8-parser see, on every HLS fixture.
import { readdirSync, readFileSync } from 'node:fs';
import HLS from 'hls-parser';
import { Parser } from 'm3u8-parser';
import { describe, expect, it } from 'vitest';
import { analyzeManifest } from '../../functions/domain/manifest/index.js';

const DIR = new URL('../fixtures/manifests/', import.meta.url);
const files = readdirSync(DIR).filter((f) => /\.m3u8?$/.test(f));

HLS.setOptions({ silent: true });

interface Summary {
  segments: number;
  listedDuration: string;
  mediaSequence: number;
}

function ours(text: string): Summary | 'multivariant' {
  const a = analyzeManifest(text, { now: 0 });
  if (a.format === 'hls-multivariant') return 'multivariant';
  return { segments: a.segments, listedDuration: (a.listedDuration ?? 0).toFixed(5), mediaSequence: a.mediaSequence ?? -1 };
}

function viaHlsParser(text: string): Summary | 'multivariant' {
  const p = HLS.parse(text);
  if (p.isMasterPlaylist) return 'multivariant';
  // Parts-only trailing entries are not complete segments.
  const segs = p.segments.filter((s) => s.uri && s.duration !== undefined);
  const skipped = p.skip ?? 0;
  return { segments: segs.length + skipped, listedDuration: segs.reduce((n, s) => n + s.duration, 0).toFixed(5), mediaSequence: p.mediaSequenceBase ?? 0 };
}

function viaM3u8Parser(text: string): Summary | 'multivariant' {
  const p = new Parser();
  p.push(text);
  p.end();
  const m = p.manifest;
  if (m.playlists) return 'multivariant';
  const segs = (m.segments ?? []).filter((s) => s.uri && s.duration !== undefined);
  return {
    segments: segs.length + (m.skip?.skippedSegments ?? 0),
    listedDuration: segs.reduce((n, s) => n + (s.duration ?? 0), 0).toFixed(5),
    mediaSequence: m.mediaSequence ?? 0,
  };
}

describe('segment list vs full parsers', () => {
  it('covers every HLS fixture', () => {
    expect(files.length).toBeGreaterThanOrEqual(19);
  });
  for (const file of files) {
    it(file, () => {
      const text = readFileSync(new URL(file, DIR), 'utf8');
      const mine = ours(text);
      expect(mine).toEqual(viaHlsParser(text));
      expect(mine).toEqual(viaM3u8Parser(text));
    });
  }
});
