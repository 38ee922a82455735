// The allocation-free date reader and writer the scanner relies on, checked against Date.
import { describe, expect, it } from 'vitest';
import { analyzeManifest } from '../../functions/domain/manifest/index.js';
import { isoMs, readIsoDateTime } from '../../functions/domain/manifest/scan-primitives.js';

const read = (s: string) => readIsoDateTime(s, 0, s.length);

describe('readIsoDateTime / isoMs', () => {
  it('reads what Date.parse reads for ISO 8601 with Z, offsets, fractions', () => {
    for (const s of ['2016-04-11T15:25:21Z', '2016-06-22T09:20:26.166-04:00', '2000-02-29T23:59:59.999Z', '2100-12-31T12:00:00+05:30', '1970-01-01T00:00:00Z', '2019-01-01T00:00:00.000+0000']) {
      expect(read(s), s).toBe(Date.parse(s));
    }
    expect(read('2022-04-26T13:11:31.333300Z')).toBeCloseTo(Date.parse('2022-04-26T13:11:31.333Z') + 0.3, 6);
  });

  it('rejects what is not a date-time, including dates that do not exist', () => {
    for (const s of ['foo', '2024-02-30T00:00:00Z', '2023-02-29T00:00:00Z', '2024-13-01T00:00:00Z', '2024-05-24 garbage', '2024-05-24T25:00:00Z', '2024-05-24T10:00:00.Z', '2024-05-24T10:00:00Q']) {
      expect(read(s), s).toBeNaN();
    }
  });

  it('writes ISO 8601 with rounded milliseconds, as Date does after rounding', () => {
    for (const ms of [0, 1716563520000.4, 1716563520000.6, -1, 951868799999.5, 4133917800000]) {
      expect(isoMs(ms)).toBe(new Date(Math.round(ms)).toISOString());
    }
  });
});

describe('PDT read on every segment (same-day fast path)', () => {
  // A clock after the media: a clock before it would (rightly) add future-media-time.
  const now = Date.parse('2024-05-25T01:00:00Z');
  const playlist = (pdts: string[]) =>
    ['#EXTM3U', '#EXT-X-TARGETDURATION:2', ...pdts.flatMap((p, i) => [`#EXT-X-PROGRAM-DATE-TIME:${p}`, '#EXTINF:2,', `s${i}.ts`])].join('\n');

  it('crosses midnight', () => {
    const a = analyzeManifest(playlist(['2024-05-24T23:59:58.000Z', '2024-05-25T00:00:00.000Z', '2024-05-25T00:00:02.000Z']), { now });
    expect(a.newestMediaEnd).toBe('2024-05-25T00:00:04.000Z');
    expect(a.problems).toEqual([]);
  });

  it('a malformed time on the same date is invalid, and the clock carries on', () => {
    const a = analyzeManifest(playlist(['2024-05-24T10:00:00.000Z', '2024-05-24T10:00:0x.000Z', '2024-05-24T10:00:04Z']), { now });
    expect(a.problems.map((p) => p.code)).toEqual(['invalid-program-date-time']);
    expect(a.newestMediaEnd).toBe('2024-05-24T10:00:06.000Z');
  });

  it('a same-date PDT an hour ahead of the EXTINF sum is seen as drift', () => {
    const a = analyzeManifest(playlist(['2024-05-24T10:00:00.000Z', '2024-05-24T10:00:02.000Z', '2024-05-24T11:00:04.000Z']), { now });
    expect(a.problems.map((p) => p.code)).toEqual(['pdt-drift']);
    expect(a.newestMediaEnd).toBe('2024-05-24T11:00:06.000Z');
  });
});
