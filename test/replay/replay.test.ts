// flatline replay against the same sandbox the drills use: real triage, real state machines, real wire protocols.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InvalidInputError, UnknownChannelError } from '../../functions/domain/errors.js';
import { replay } from '../../sandbox/replay/index.js';

describe('flatline replay', () => {
  it('replays a primary outage: decision with its reason, the failover steps and what they changed, the resulting routing', async () => {
    const result = await replay('events/medialive-state-recovering.json');
    expect(result.signal).toMatchObject({ channelId: 'news-1', side: 'primary', severity: 'outage' });
    expect(result.worldChange).toMatch(/both pipelines of the primary/);
    expect(result.decision).toMatchObject({ ok: true, decision: 'failover' });
    expect(result.decision?.reason).toMatch(/confirmed/);
    expect(result.executions).toHaveLength(1);
    const [x] = result.executions;
    expect(x!.status).toBe('SUCCEEDED');
    const route = x!.steps.find((s) => s.state === 'RouteEdgeToStandby');
    expect(route?.changes).toEqual([expect.objectContaining({ resource: 'kvs:edge:news-1', to: 'standby (mp-usw2-news-1)', applied: true })]);
    expect(result.routing.before).toMatchObject({ edge: null, route: null, slate: false, originOrder: ['mp-use1-news-1', 'mp-usw2-news-1'] });
    expect(result.routing.after).toMatchObject({ route: 'standby', originOrder: ['mp-usw2-news-1', 'mp-use1-news-1'], ledger: { onAir: 'standby' } });
  });

  it('--plan runs the same path, reports the changes it would make and makes none', async () => {
    const result = await replay('events/medialive-state-recovering.json', { plan: true });
    expect(result.decision).toMatchObject({ ok: true, decision: 'failover' });
    const steps = result.executions[0]!.steps;
    const wouldRoute = steps.flatMap((s) => s.changes).find((c) => c.resource === 'kvs:edge:news-1');
    expect(wouldRoute).toMatchObject({ to: 'standby (mp-usw2-news-1)', applied: false });
    expect(result.mutatingCalls).toBe(0);
    expect(result.routing.after.route).toBeNull();
    expect(result.routing.after.originOrder).toEqual(result.routing.before.originOrder);
  });

  it('one pipeline alerting on a STANDARD channel is recorded as degraded: no execution, no change', async () => {
    const result = await replay('events/medialive-alert-pipeline0-set.json');
    expect(result.signal).toMatchObject({ severity: 'degraded', pipeline: '0' });
    expect(result.decision?.decision).toBe('record');
    expect(result.executions).toEqual([]);
    expect(result.mutatingCalls).toBe(0);
  });

  it('rejects malformed and unknown-channel files before starting anything', async () => {
    await expect(replay('events/malformed/wrong-types.json')).rejects.toBeInstanceOf(InvalidInputError);
    await expect(replay('events/malformed/unknown-channel-ops.json')).rejects.toBeInstanceOf(UnknownChannelError);
    await expect(replay('events/does-not-exist.json')).rejects.toThrow(/cannot read/);
  });

  it('the command exits 2 with a clear error on an invalid file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'replay-'));
    const notJson = join(dir, 'broken.json');
    writeFileSync(notJson, '{"source": ');
    for (const [file, message] of [
      [notJson, /is not JSON/],
      ['events/malformed/unknown-source.json', /unknown event: source/],
    ] as const) {
      const run = spawnSync(process.execPath, ['bin/flatline.js', 'replay', file], { encoding: 'utf8' });
      expect(run.status).toBe(2);
      expect(run.stderr).toMatch(message);
    }
    expect(spawnSync(process.execPath, ['bin/flatline.js', 'replay'], { encoding: 'utf8' }).status).toBe(2);
  });
});
