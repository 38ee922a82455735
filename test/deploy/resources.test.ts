// The generators behind serverless.yml's deploy variables, on registries other than the example:
// every ARN follows the registry, and inconsistent configurations are refused.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { deployContext, DeployConfigError } from '../../deploy/context.js';
import { readCompiledRegistry } from '../../functions/domain/registry/index.js';
import { DEFAULT_MAX_EVENT_AGE_MS } from '../../functions/domain/policy/index.js';
import { maxEventAgeMs } from '../../functions/triage/deps.js';
import { functionStatements } from '../../deploy/iam.js';
import { manifestAgeAlarms } from '../../deploy/alarms.js';
import { probeSchedules } from '../../deploy/probe.js';
import { resolveLocalVariable, variableValues } from '../../deploy/variables.js';
import { channelsWithOwnOriginGroups, REPO } from './service-dir.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

type Doc = { channels: Array<Record<string, Record<string, unknown>>> };
const exampleDoc = (): Doc => parse(readFileSync(join(REPO, 'config', 'registry.example.yml'), 'utf8')) as Doc;

/** A service dir holding only config/registry.<stage>.yml. */
function serviceDirWith(stage: string, doc: Doc): string {
  const dir = mkdtempSync(join(tmpdir(), 'flatline-deploy-'));
  dirs.push(dir);
  mkdirSync(join(dir, 'config'));
  writeFileSync(join(dir, 'config', `registry.${stage}.yml`), stringify(doc));
  return dir;
}

describe('deploy variables', () => {
  it('follow the registry: a new channel in another region is granted and matched, nothing else', () => {
    const doc = exampleDoc();
    const extra = structuredClone(doc.channels[0]!);
    extra.id = 'eu-news' as unknown as Record<string, unknown>;
    extra.primary = { ...extra.primary, region: 'eu-west-1', channelId: '1111111', originId: 'mp-euw1' };
    extra.standby = { ...extra.standby, region: 'eu-central-1', channelId: '2222222', originId: 'mp-euc1', mode: 'cold' };
    extra.critical = true as unknown as Record<string, unknown>;
    doc.channels = [extra];
    const ctx = deployContext({ stage: 'eu', serviceDir: serviceDirWith('eu', doc) });
    const values = variableValues(ctx);
    // The handlers' registry: compiled to JSON in the service dir when the variable is resolved, defaults filled in.
    expect(values.compiledRegistry).toBe('dist/registry.eu.json');
    const compiled = join(ctx.serviceDir, 'dist', 'registry.eu.json');
    expect(readCompiledRegistry(compiled)).toEqual(ctx.registry);
    expect(extra.policy!.standbyReadySeconds).toBeUndefined();
    expect((JSON.parse(readFileSync(compiled, 'utf8')) as Doc).channels[0]!.policy!.standbyReadySeconds).toBe(600);
    // The rules name regions and the account, never channels.
    expect(values.mediaLiveRegions).toEqual(['eu-central-1', 'eu-west-1']);
    expect(values.account).toEqual(['123456789012']);
    const statements = functionStatements(ctx);
    const stop = statements.ensureChannelStopped.filter((s) => s.Sid === 'StopStandbyChannels').flatMap((s) => s.Resource);
    expect(stop).toEqual(['arn:aws:medialive:eu-central-1:123456789012:channel:2222222']);
    expect(Object.values(manifestAgeAlarms(ctx)).map((a) => a.Properties?.AlarmName)).toEqual([
      'flatline-eu-eu-news-manifest-age-edge',
      'flatline-eu-eu-news-manifest-age-primary',
    ]);
  });

  it('scale the alarm threshold with the policy and the configured target duration', () => {
    const doc = exampleDoc();
    doc.channels = [doc.channels[0]!];
    doc.channels[0]!.policy = { ...doc.channels[0]!.policy, staleAfterTargetDurations: 2, consecutive: 3 };
    doc.channels[0]!.critical = true as unknown as Record<string, unknown>;
    const ctx = deployContext({ stage: 'td', serviceDir: serviceDirWith('td', doc), targetDurationSeconds: 2 });
    const [edge] = Object.values(manifestAgeAlarms(ctx));
    expect(edge?.Properties).toMatchObject({ Threshold: 4000, DatapointsToAlarm: 3, EvaluationPeriods: 4 });
  });

  it('shard the probe schedule over the fleet', () => {
    const doc = exampleDoc();
    const template = doc.channels[0]!;
    // Each channel on its own MediaLive channels (channels may not share them), all on the template's two origins
    // with no origin group of their own: what CloudFront's per-distribution quotas allow at this size.
    doc.channels = Array.from({ length: 250 }, (_, i) => {
      const c = structuredClone(template);
      c.primary = { ...c.primary, channelId: String(1_000_000 + i) };
      c.standby = { ...c.standby, channelId: String(2_000_000 + i) };
      c.edge = { ...c.edge };
      delete c.edge.originGroupId;
      return { ...c, id: `ch-${i}` as unknown as Record<string, unknown> };
    });
    const serviceDir = serviceDirWith('fleet', doc);
    const shards = probeSchedules(deployContext({ stage: 'fleet', serviceDir, channelsPerProbeShard: 100 }));
    expect(shards.map((e) => e.schedule.input.shard)).toEqual(['0/3', '1/3', '2/3']);
    expect(shards.map((e) => e.schedule.name)).toEqual(['flatline-fleet-probe-0', 'flatline-fleet-probe-1', 'flatline-fleet-probe-2']);
    expect(shards.every((e) => e.schedule.rate[0] === 'rate(1 minute)')).toBe(true);
    expect(probeSchedules(deployContext({ stage: 'fleet', serviceDir, channelsPerProbeShard: 250 })).map((e) => e.schedule.input.shard)).toEqual(['0/1']);
    expect(() => deployContext({ stage: 'fleet', serviceDir, channelsPerProbeShard: 0 })).toThrow(/positive integer/);
    // No channel has an origin group: no role may read or update the distribution.
    const statements = functionStatements(deployContext({ stage: 'fleet', serviceDir }));
    // (The step still reads its incident's lock, as every fenced step does.)
    expect(statements.setOriginGroup.filter((s) => s.Action.some((a) => a.startsWith('cloudfront:')))).toEqual([]);
    expect(JSON.stringify(statements)).not.toContain('cloudfront:GetDistributionConfig');
  });

  it("check the registry against CloudFront's quotas: AWS's defaults unless the stage declares raised ones", () => {
    const doc = exampleDoc();
    const news = doc.channels[0]!;
    doc.channels = channelsWithOwnOriginGroups(news, 11);
    const serviceDir = serviceDirWith('quotas', doc);
    expect(() => deployContext({ stage: 'quotas', serviceDir })).toThrow(/channel "ch-10": edge\.originGroupId: .* over its quota of 10 origin groups per distribution/);
    const ctx = deployContext({ stage: 'quotas', serviceDir, cloudFrontQuotas: { originGroupsPerDistribution: 20 } });
    expect(ctx.cloudFrontQuotas).toEqual({ originsPerDistribution: 25, originGroupsPerDistribution: 20, cacheBehaviorsPerDistribution: 75 });
    expect(() => deployContext({ stage: 'quotas', serviceDir, cloudFrontQuotas: { originGroupsPerDistribution: 0 } })).toThrow(/cloudFrontQuotas\.originGroupsPerDistribution must be a positive integer, got 0/);
    expect(() => deployContext({ stage: 'quotas', serviceDir, cloudFrontQuotas: { originGroups: 20 } as never })).toThrow(/cloudFrontQuotas\.originGroups is not a quota flatline checks/);
  });

  it("give triage its event-age bound: the policy's default unless set, a positive number of seconds", () => {
    const serviceDir = serviceDirWith('age', exampleDoc());
    const bound = (maxEventAgeSeconds?: number) => variableValues(deployContext({ stage: 'age', serviceDir, ...(maxEventAgeSeconds === undefined ? {} : { maxEventAgeSeconds }) })).maxEventAgeSeconds;
    expect(maxEventAgeMs({ FLATLINE_MAX_EVENT_AGE_SECONDS: bound() })).toBe(DEFAULT_MAX_EVENT_AGE_MS);
    expect(maxEventAgeMs({ FLATLINE_MAX_EVENT_AGE_SECONDS: bound(90) })).toBe(90_000);
    for (const wrong of [0, -5, Number.NaN]) expect(() => bound(wrong)).toThrow(/custom\.flatline\.maxEventAgeSeconds must be a positive number of seconds/);
  });

  it('refuse channels whose stores name different accounts, unless the account is set', () => {
    const doc = exampleDoc();
    doc.channels[1]!.edge = { ...doc.channels[1]!.edge, kvsArn: 'arn:aws:cloudfront::210987654321:key-value-store/other' };
    const serviceDir = serviceDirWith('accounts', doc);
    expect(() => deployContext({ stage: 'accounts', serviceDir })).toThrow(DeployConfigError);
    expect(() => deployContext({ stage: 'accounts', serviceDir })).toThrow(/2 accounts \(123456789012, 210987654321\)/);
    expect(deployContext({ stage: 'accounts', serviceDir, accountId: '555555555555' }).accountId).toBe('555555555555');
  });

  it('resolve for tools that read serverless.yml without osls', () => {
    const serviceDir = serviceDirWith('local', exampleDoc());
    expect(resolveLocalVariable('${file(./deploy/serverless.cjs):mediaLiveRegions}', { stage: 'local', serviceDir })).toEqual(['us-east-1', 'us-west-2']);
    expect(resolveLocalVariable('${file(./deploy/serverless.cjs):account}', { stage: 'local', serviceDir })).toEqual(['123456789012']);
    expect(resolveLocalVariable('flatline-${sls:stage}-', { stage: 'local', serviceDir })).toBe('flatline-local-');
    expect(() => resolveLocalVariable('${file(./deploy/serverless.cjs):nope}', { stage: 'local', serviceDir })).toThrow(/unknown deploy variable "nope"/);
  });
});
