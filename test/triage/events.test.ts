// Every sample in events/ parses into the expected Signal (the malformed ones are rejected), and the
// real third-party/AWS samples in test/fixtures/events (sources: test/fixtures/SOURCES.md) pass the schemas.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { LedgerItem } from '../../functions/domain/contracts.js';
import { InvalidInputError, UnknownChannelError } from '../../functions/domain/errors.js';
import { evaluate } from '../../functions/domain/policy/index.js';
import { readRegistryFile } from '../../functions/domain/registry/file.js';
import { getChannel } from '../../functions/domain/registry/index.js';
import { EVENT_SCHEMAS } from '../../functions/domain/triage/schemas.js';
import { alarmTarget, normalizeTime, toSignal } from '../../functions/domain/triage/signals.js';

const registry = readRegistryFile('config/registry.example.yml');
const read = (path: string | URL): unknown => JSON.parse(readFileSync(path, 'utf8'));
const ctx = { registry, stage: 'example', account: '123456789012' };

/** What each sample must become: channel, kind, severity, side, pipeline. */
const expected: Record<string, { channelId: string; kind: string; severity: string; side?: string; pipeline?: string }> = {
  'cloudwatch-alarm-manifest-age-edge.json': { channelId: 'sports-1', kind: 'alarm', severity: 'outage' },
  'cloudwatch-alarm-manifest-age-name-only.json': { channelId: 'news-1', kind: 'alarm', severity: 'outage' },
  'cloudwatch-alarm-manifest-age-ok.json': { channelId: 'kids-1', kind: 'alarm-ok', severity: 'info', side: 'primary' },
  'cloudwatch-alarm-manifest-age-primary.json': { channelId: 'news-1', kind: 'alarm', severity: 'outage', side: 'primary' },
  'cloudwatch-alarm-manifest-age-standby.json': { channelId: 'news-1', kind: 'alarm', severity: 'outage', side: 'standby' },
  'medialive-alert-pipeline0-cleared.json': { channelId: 'news-1', kind: 'pipeline-clear', severity: 'info', side: 'primary', pipeline: '0' },
  'medialive-alert-pipeline0-set.json': { channelId: 'news-1', kind: 'pipeline-alert', severity: 'degraded', side: 'primary', pipeline: '0' },
  'medialive-alert-pipeline1-set.json': { channelId: 'news-1', kind: 'pipeline-alert', severity: 'degraded', side: 'primary', pipeline: '1' },
  'medialive-alert-standby-set.json': { channelId: 'news-1', kind: 'pipeline-alert', severity: 'degraded', side: 'standby', pipeline: '0' },
  'medialive-alert-video-not-detected-set.json': { channelId: 'sports-1', kind: 'pipeline-alert', severity: 'degraded', side: 'primary', pipeline: '1' },
  'medialive-input-change.json': { channelId: 'news-1', kind: 'input-change', severity: 'info', side: 'primary', pipeline: '0' },
  'medialive-state-recovering.json': { channelId: 'news-1', kind: 'channel-state', severity: 'outage', side: 'primary' },
  'medialive-state-running.json': { channelId: 'news-1', kind: 'channel-state', severity: 'info', side: 'primary', pipeline: '0' },
  'medialive-state-stopped.json': { channelId: 'sports-1', kind: 'channel-state', severity: 'outage', side: 'primary' },
  'ops-drill-requested.json': { channelId: 'kids-1', kind: 'drill-requested', severity: 'outage' },
  'ops-failback-requested.json': { channelId: 'news-1', kind: 'failback-requested', severity: 'info' },
  'ops-failover-requested-plan.json': { channelId: 'sports-1', kind: 'failover-requested', severity: 'outage' },
  'ops-failover-requested.json': { channelId: 'news-1', kind: 'failover-requested', severity: 'outage' },
  'probe-manifest-fresh.json': { channelId: 'kids-1', kind: 'manifest-fresh', severity: 'info', side: 'primary' },
  'probe-manifest-stale-edge-only.json': { channelId: 'news-1', kind: 'manifest-stale', severity: 'degraded' },
  'probe-manifest-stale-primary-edge-frozen.json': { channelId: 'news-1', kind: 'manifest-stale', severity: 'degraded', side: 'primary' },
  'probe-manifest-stale.json': { channelId: 'news-1', kind: 'manifest-stale', severity: 'outage' },
};

const rejected: Record<string, typeof InvalidInputError | typeof UnknownChannelError> = {
  'missing-detail.json': InvalidInputError,
  'missing-envelope.json': InvalidInputError,
  'medialive-foreign-partition.json': InvalidInputError,
  'medialive-resources-disagree.json': InvalidInputError,
  'not-a-flatline-alarm.json': InvalidInputError,
  'unknown-channel-medialive.json': UnknownChannelError,
  'unknown-channel-ops.json': UnknownChannelError,
  'unknown-source.json': InvalidInputError,
  'wrong-pipeline.json': InvalidInputError,
  'wrong-types.json': InvalidInputError,
};

describe('events/ samples', () => {
  const samples = readdirSync('events').filter((f) => f.endsWith('.json'));

  it('the table above covers every sample file, and every sample is listed in events/README.md', () => {
    expect(samples.sort()).toEqual(Object.keys(expected).sort());
    expect(readdirSync('events/malformed').sort()).toEqual(Object.keys(rejected).sort());
    const readme = readFileSync('events/README.md', 'utf8');
    for (const f of [...samples, ...Object.keys(rejected).map((r) => `malformed/${r}`)]) expect(readme).toContain(f);
  });

  it.each(samples)('%s parses into the expected signal', (file) => {
    const { signal, channel } = toSignal(read(`events/${file}`), ctx);
    const want = expected[file];
    expect(channel.id).toBe(want?.channelId);
    expect(signal).toMatchObject({ channelId: want?.channelId, kind: want?.kind, severity: want?.severity });
    expect(signal.side).toBe(want?.side);
    expect(signal.pipeline).toBe(want?.pipeline);
    expect(Number.isNaN(Date.parse(signal.at))).toBe(false);
    expect(signal.dedupeKey.length).toBeGreaterThan(0);
  });

  it.each(Object.entries(rejected))('malformed/%s is rejected', (file, type) => {
    expect(() => toSignal(read(`events/malformed/${file}`), ctx)).toThrow(type);
  });
});

describe('signal mapping details', () => {
  it('dedupes MediaLive alerts on channel ARN + alarm id + state (ids are unique per channel only)', () => {
    const set = toSignal(read('events/medialive-alert-pipeline0-set.json'), ctx).signal;
    const cleared = toSignal(read('events/medialive-alert-pipeline0-cleared.json'), ctx).signal;
    const arn = 'arn:aws:medialive:us-east-1:123456789012:channel:1234567';
    expect(set.dedupeKey).toBe(`alert:${arn}:0b6b4a3e8f1d2c9a7e5b3d1f0a2c4e6b8d0f1a3c:SET`);
    expect(cleared.dedupeKey).toBe(`alert:${arn}:0b6b4a3e8f1d2c9a7e5b3d1f0a2c4e6b8d0f1a3c:CLEARED`);
    // The same alarm id on another channel is another fact.
    const other = read('events/medialive-alert-pipeline0-set.json') as { detail: { channel_arn: string }; resources: string[] };
    other.detail.channel_arn = 'arn:aws:medialive:us-east-1:123456789012:channel:2345678';
    other.resources = [other.detail.channel_arn];
    expect(toSignal(other, ctx).signal.dedupeKey).not.toBe(set.dedupeKey);
  });

  it('reads Channel/Path from the alarm dimensions, else from the alarm name convention', () => {
    const detail = (read('events/cloudwatch-alarm-manifest-age-primary.json') as { detail: Parameters<typeof alarmTarget>[0] }).detail;
    expect(alarmTarget(detail)).toEqual({ channelId: 'news-1', path: 'primary' });
    const byName = { ...detail, configuration: { metrics: [] }, alarmName: 'flatline-prod-eu-kids-1-manifest-age-edge' };
    expect(alarmTarget(byName, 'prod-eu')).toEqual({ channelId: 'kids-1', path: 'edge' });
    expect(alarmTarget({ ...byName, alarmName: 'flatline-prod-kids-1-manifest-age-edge' })).toEqual({ channelId: 'kids-1', path: 'edge' });
    expect(alarmTarget({ ...byName, alarmName: 'ServerCpuTooHigh' })).toBeUndefined();
  });

  it('normalizes CloudWatch timestamps (+0000) to ISO 8601', () => {
    expect(normalizeTime('2019-10-02T17:04:40.989+0000')).toBe('2019-10-02T17:04:40.989Z');
    expect(() => normalizeTime('yesterday')).toThrow(InvalidInputError);
  });

  it('an operator plan request carries mode plan; a drill is tagged', () => {
    expect(toSignal(read('events/ops-failover-requested-plan.json'), ctx).signal.detail).toMatchObject({ mode: 'plan' });
    expect(toSignal(read('events/ops-drill-requested.json'), ctx).signal.detail).toMatchObject({ drill: true, scenario: 'primary-flatline' });
  });

  it("carries each path's live edge to the policy; an event from a probe that sends none parses without it", () => {
    const frozen = toSignal(read('events/probe-manifest-stale-primary-edge-frozen.json'), ctx).signal;
    // The transition's own path too (its entry is rebuilt from the top-level state and age).
    expect(frozen.detail?.paths).toMatchObject({ edge: { liveEdgeAt: 1748779202500 }, primary: { state: 'stale', liveEdgeAt: 1748779202500 } });
    const old = toSignal(read('events/probe-manifest-stale.json'), ctx).signal;
    expect(old.detail?.paths).toMatchObject({ edge: { state: 'stale', ageMs: 13800 }, primary: { state: 'stale', ageMs: 14100 } });
    expect(Object.values(old.detail?.paths as object).some((p) => 'liveEdgeAt' in (p as object))).toBe(false);
    // null (no wall clock on that path) is valid; anything but a number is not.
    const e = read('events/probe-manifest-stale-primary-edge-frozen.json') as { detail: { paths: { edge: { liveEdgeAt: unknown } } } };
    e.detail.paths.edge.liveEdgeAt = null;
    expect(toSignal(e, ctx).signal.detail?.paths).toMatchObject({ edge: { liveEdgeAt: null } });
    e.detail.paths.edge.liveEdgeAt = '2025-06-01T12:00:02.500Z';
    expect(() => toSignal(e, ctx)).toThrow(/liveEdgeAt/);
  });

  it("carries the transition's readings (name, status, problem codes) to the policy, which tells an unreachable primary from a stale one", () => {
    const e = read('events/probe-manifest-stale-primary-edge-frozen.json') as { detail: { renditions: Array<Record<string, unknown>> } };
    e.detail.renditions = [
      { name: '1080p', url: 'https://origin.example/1080p.m3u8', ageMs: null, mediaSequence: null, status: 'error', problems: ['timeout'] },
      { name: 'multivariant', url: 'https://origin.example/index.m3u8', ageMs: null, mediaSequence: null, status: 'error', problems: ['fetch-failed'] },
    ];
    const signal = toSignal(e, ctx).signal;
    expect(signal.detail?.renditions).toEqual([
      { name: '1080p', status: 'error', problems: ['timeout'] },
      { name: 'multivariant', status: 'error', problems: ['fetch-failed'] },
    ]);
    const item: LedgerItem = { channelId: 'news-1', onAir: 'primary', phase: 'steady', version: 1, recent: [] };
    const at = Date.parse(signal.at);
    const unreachable = evaluate({ signal, channel: getChannel(registry, 'news-1'), item, now: at, incidentId: 'i' });
    expect(unreachable).toMatchObject({ action: 'failover', confirm: true });
    expect(unreachable.reason).toMatch(/primary origin unreachable: no playlist came back \(multivariant: fetch-failed\)/);
    // The sample as it is: its readings answered, so the stale-origin rules apply.
    const answering = evaluate({ signal: toSignal(read('events/probe-manifest-stale-primary-edge-frozen.json'), ctx).signal, channel: getChannel(registry, 'news-1'), item, now: at, incidentId: 'i' });
    expect(answering.reason).not.toMatch(/unreachable/);
  });

  it('rejections say why', () => {
    expect(() => toSignal(read('events/malformed/wrong-types.json'), ctx)).toThrow(/detail\.pipelines_running_count/);
    expect(() => toSignal(read('events/malformed/unknown-source.json'), ctx)).toThrow(/unknown event: source "aws.mediapackage"/);
  });
});

describe('the real samples in test/fixtures/events', () => {
  const dir = new URL('../fixtures/events/', import.meta.url);
  const fixtures = readdirSync(dir).filter((f) => f.endsWith('.json'));

  it.each(fixtures)('%s: accepted by its schema, or rejected as an unknown source', (file) => {
    const event = read(new URL(file, dir)) as { source: string; 'detail-type': string };
    const schema = EVENT_SCHEMAS[`${event.source}|${event['detail-type']}` as keyof typeof EVENT_SCHEMAS];
    if (event.source === 'aws.mediapackage') {
      expect(schema).toBeUndefined();
      return;
    }
    const result = schema.safeParse(event);
    expect(result.error?.issues ?? []).toEqual([]);
    // Their channels are not in our registry: a MediaLive sample is an unknown channel, an alarm is not ours.
    expect(() => toSignal(event, ctx)).toThrow(event.source === 'aws.medialive' ? UnknownChannelError : InvalidInputError);
  });
});
