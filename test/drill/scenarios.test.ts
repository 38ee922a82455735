// Scenarios are data: every shipped file validates, all 22 are there, and a broken file is
// rejected with a message naming the field.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readRegistryFile } from '../../functions/domain/registry/file.js';
import { listScenarios, loadScenario } from '../../sandbox/drill/scenario.js';

const registry = readRegistryFile('config/registry.example.yml');

describe('drill scenarios', () => {
  it('ships the 22 scenarios, each valid and about channels of the example registry', () => {
    const names = listScenarios();
    expect(names).toEqual(
      [
        'alarm-storm', 'api-throttling', 'cloudfront-conflict', 'cold-standby', 'failback', 'flapping',
        'malformed-events', 'pipeline-blip', 'primary-flatline', 'primary-region-down', 'standby-start-fails',
        'standby-dies-on-air', 'standby-dies-no-primary',
        // correctness drills, run end to end by test/drill/correctness-drills.test.ts
        'outage-during-dwell', 'late-event', 'start-execution-fails', 'execution-outlives-lock', 'durable-path-fails', 'region-blackhole',
        'slate-then-primary-returns', 'slate-then-standby-returns', 'probe-down',
      ].sort(),
    );
    const ids = new Set(registry.channels.map((c) => c.id));
    for (const name of names) {
      const s = loadScenario(name);
      expect(s.name).toBe(name);
      expect(ids.has(s.channel)).toBe(true);
      for (const a of s.timeline) if (a.channel) expect(ids.has(a.channel)).toBe(true);
      for (const e of s.expectations) if (e.channel) expect(ids.has(e.channel)).toBe(true);
      expect(s.maxSeconds).toBeLessThanOrEqual(60);
      // Whatever a scenario breaks, the invariants I1-I7 hold.
      expect(s.expectations, name).toContainEqual({ expect: 'invariants' });
    }
  });

  it('the default drill fails over a warm standby, bounded at 8 target durations (the recover goal is reported, not expected)', () => {
    const s = loadScenario('primary-flatline');
    const channel = registry.channels.find((c) => c.id === s.channel)!;
    expect(channel.standby.mode).toBe('warm');
    expect(s.expectations).toContainEqual({ expect: 'failover', withinTargetDurations: 8 });
  });

  it('rejects an invalid scenario file naming the field, and an unknown scenario naming the known ones', () => {
    const dir = mkdtempSync(join(tmpdir(), 'scenario-'));
    const file = join(dir, 'bad.yml');
    writeFileSync(file, 'name: bad\ntitle: t\ndescription: d\ntimeline:\n  - { at: 0, action: explode }\nexpectations: []\n');
    expect(() => loadScenario(file)).toThrow(/timeline\.0\.action/);
    expect(() => loadScenario(file)).toThrow(/expectations/);
    expect(() => loadScenario('no-such-drill')).toThrow(/known: .*primary-flatline/);
  });
});
