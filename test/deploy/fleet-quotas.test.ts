// A 1,000-channel registry packages into a stack AWS accepts: the real `serverless package` (one run, slow),
// then every quota that applies, checked on its output.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployContext } from '../../deploy/context.js';
import { functionRoles, MAX_LISTED_CHANNEL_ARNS } from '../../deploy/iam.js';
import { mediaLiveChannelArns } from '../../deploy/arns.js';
import { readCompiledRegistry, type Registry } from '../../functions/domain/registry/index.js';
import { edgeKey, largestEdgeValueString } from '../../functions/domain/routing-keys.js';
import { deployableFleetDocument } from '../../sandbox/testkit/fleet.js';
import { actionProblems, conditionProblems, specProblems } from './cfn-spec.js';
import { makeServiceDir, runServerless, type ServiceDir } from './service-dir.js';
import { ofType, readTemplate, resource, type Template } from './template.js';

const STAGE = 'fleet';
const CHANNELS = 1000;
const CRITICAL = 10;

// Quotas, with where AWS states them.
/** https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html */
const MAX_RESOURCES = 500;
const MAX_TEMPLATE_BYTES = 1_000_000; // a template uploaded through S3 (same page)
/** https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html (default; 4,096 after a raise) */
const MAX_EVENT_PATTERN_CHARS = 2048;
/** Event bus resource policy, same page. */
const MAX_BUS_POLICY_CHARS = 10_240;
/** https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html: inline policies of a role, together. */
const MAX_ROLE_INLINE_POLICY_CHARS = 10_240;
/** https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html */
const MAX_DASHBOARD_WIDGETS = 500;
const MAX_ALARMS_PER_ALARM_WIDGET = 100;
/** https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html (function code) */
const MAX_EDGE_FUNCTION_BYTES = 10_240;
/** https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarm-limits.html: a query alarm evaluates at most 500 series. */
const MAX_INSIGHTS_ALARM_SERIES = 500;
/**
 * Per distribution, defaults (adjustable), https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html:
 * origins 25, origin groups 10, cache behaviours 75 (25 on earlier versions of the page: the lower one is checked).
 * Not adjustable, same page: one KeyValueStore per function, a store of at most 5 MB.
 */
const MAX_ORIGINS_PER_DISTRIBUTION = 25;
const MAX_ORIGIN_GROUPS_PER_DISTRIBUTION = 10;
const MAX_CACHE_BEHAVIORS_PER_DISTRIBUTION = 25;
const MAX_KVS_PER_FUNCTION = 1;
const MAX_KVS_STORE_BYTES = 5_000_000;

let service: ServiceDir;
let template: Template;
let templateBytes: number;
/** The registry the package carries (what every Lambda loads). */
let packaged: Registry;

beforeAll(async () => {
  // Fleet-scale layout: shared origins, an origin group of their own for the critical channels only.
  const doc = deployableFleetDocument(CHANNELS, { critical: CRITICAL });
  service = makeServiceDir(STAGE, stringify(doc));
  const run = await runServerless(service.dir, ['package', '--stage', STAGE, '--package', service.out]);
  if (run.code !== 0) throw new Error(`serverless package failed (${run.code}):\n${run.output}`);
  const file = join(service.out, 'cloudformation-template-update-stack.json');
  templateBytes = statSync(file).size;
  template = readTemplate(file);
  packaged = readCompiledRegistry(join(service.dir, 'dist', `registry.${STAGE}.json`));
}, 600_000);
afterAll(() => service?.cleanup());

describe(`a ${CHANNELS}-channel registry (${CRITICAL} critical), packaged`, () => {
  it(`has at most ${MAX_RESOURCES} resources, and they do not grow with the non-critical channels`, () => {
    const count = Object.keys(template.Resources).length;
    expect(count).toBeLessThanOrEqual(MAX_RESOURCES);
    // Per channel only the critical ones' 2 alarms; the probe's schedule grows per shard of 100.
    expect(ofType(template, 'AWS::CloudWatch::Alarm').filter(([, r]) => r.Properties.MetricName === 'ManifestAge')).toHaveLength(2 * CRITICAL);
    expect(count).toBeLessThan(150);
  });

  it('is a template of at most 1 MB', () => {
    expect(templateBytes).toBeLessThanOrEqual(MAX_TEMPLATE_BYTES);
    expect(Buffer.byteLength(readFileSync(join(service.out, 'cloudformation-template-update-stack.json')))).toBe(templateBytes);
  });

  it(`has event patterns of at most ${MAX_EVENT_PATTERN_CHARS} characters, and a bus policy within its quota`, () => {
    const rules = ofType(template, 'AWS::Events::Rule').filter(([, r]) => r.Properties.EventPattern !== undefined);
    expect(rules.length).toBeGreaterThanOrEqual(4);
    for (const [id, r] of rules) expect(JSON.stringify(r.Properties.EventPattern).length, id).toBeLessThanOrEqual(MAX_EVENT_PATTERN_CHARS);
    expect(JSON.stringify(resource(template, 'FlatlineEventBus').Properties.Policy).length).toBeLessThanOrEqual(MAX_BUS_POLICY_CHARS);
  });

  it(`gives every role at most ${MAX_ROLE_INLINE_POLICY_CHARS} characters of inline policy`, () => {
    for (const [id, role] of ofType(template, 'AWS::IAM::Role')) {
      const policies = (role.Properties.Policies as Array<{ PolicyDocument: unknown }> | undefined) ?? [];
      const chars = policies.reduce((n, p) => n + JSON.stringify(p.PolicyDocument).length, 0);
      expect(chars, id).toBeLessThanOrEqual(MAX_ROLE_INLINE_POLICY_CHARS);
    }
  });

  it('has a dashboard within CloudWatch\'s widget limits', () => {
    const body = resource(template, 'FlatlineDashboard').Properties.DashboardBody as { 'Fn::Sub': string };
    const dashboard = JSON.parse(body['Fn::Sub']) as { widgets: Array<{ type: string; properties: { alarms?: string[] } }> };
    expect(dashboard.widgets.length).toBeLessThanOrEqual(MAX_DASHBOARD_WIDGETS);
    for (const w of dashboard.widgets.filter((x) => x.type === 'alarm')) expect(w.properties.alarms!.length).toBeLessThanOrEqual(MAX_ALARMS_PER_ALARM_WIDGET);
    // The body does not list the fleet: it is as large for 1,000 channels as its critical channels make it.
    expect(body['Fn::Sub'].length).toBeLessThan(20_000);
  });

  it('has fleet alarms whose queries stay under the series a query alarm evaluates', () => {
    const fleet = ofType(template, 'AWS::CloudWatch::Alarm').filter(([, r]) => Array.isArray(r.Properties.Metrics));
    expect(fleet).toHaveLength(2);
    for (const [id, r] of fleet) {
      const [q] = r.Properties.Metrics as Array<{ Expression: string }>;
      const limit = Number(/LIMIT (\d+)$/.exec(q!.Expression)?.[1]);
      expect(limit, id).toBeLessThanOrEqual(MAX_INSIGHTS_ALARM_SERIES);
    }
  });

  it("is known to the CloudFormation specification and names only IAM actions and condition keys of the Service Authorization Reference", async () => {
    expect(specProblems(template)).toEqual([]);
    expect(await actionProblems(template)).toEqual([]);
    expect(await conditionProblems(template)).toEqual([]);
  });

  it(`has an edge function of at most ${MAX_EDGE_FUNCTION_BYTES} bytes`, () => {
    const fn = resource(template, 'EdgeRouterFunction').Properties as { FunctionCode: string };
    expect(Buffer.byteLength(fn.FunctionCode)).toBeLessThanOrEqual(MAX_EDGE_FUNCTION_BYTES);
  });

  it('declares, per distribution, no more origins, origin groups and cache behaviours than CloudFront allows by default', () => {
    expect(packaged.channels).toHaveLength(CHANNELS);
    const distributions = new Set(packaged.channels.map((c) => c.edge.distributionId));
    expect(distributions.size).toBe(1); // the goal: the whole fleet on one distribution
    for (const distributionId of distributions) {
      const channels = packaged.channels.filter((c) => c.edge.distributionId === distributionId);
      const origins = new Set(channels.flatMap((c) => [c.primary.originId, c.standby.originId]));
      const groups = channels.flatMap((c) => (c.edge.originGroupId === undefined ? [] : [c.edge.originGroupId]));
      // A behaviour targets one origin or origin group: one per own group, plus /live/* for the channels without.
      const behaviours = groups.length + (groups.length < channels.length ? 1 : 0);
      expect(origins.size, distributionId).toBeLessThanOrEqual(MAX_ORIGINS_PER_DISTRIBUTION);
      expect(new Set(groups).size, distributionId).toBe(groups.length);
      expect(groups.length, distributionId).toBeLessThanOrEqual(MAX_ORIGIN_GROUPS_PER_DISTRIBUTION);
      expect(behaviours, distributionId).toBeLessThanOrEqual(MAX_CACHE_BEHAVIORS_PER_DISTRIBUTION);
      // The critical channels keep the durable path; the rest are routed by their KVS value alone.
      expect(groups).toHaveLength(CRITICAL);
    }
  });

  it(`associates ${MAX_KVS_PER_FUNCTION} KeyValueStore with the edge function, and the fleet's largest values fit it`, () => {
    const fn = resource(template, 'EdgeRouterFunction').Properties as { FunctionConfig: { KeyValueStoreAssociations?: unknown[] } };
    expect(fn.FunctionConfig.KeyValueStoreAssociations).toHaveLength(MAX_KVS_PER_FUNCTION);
    expect(new Set(packaged.channels.map((c) => c.edge.kvsArn)).size).toBe(MAX_KVS_PER_FUNCTION);
    const bytes = packaged.channels.reduce((n, c) => n + Buffer.byteLength(edgeKey(c.id)) + Buffer.byteLength(largestEdgeValueString(c)), 0);
    expect(bytes).toBeLessThanOrEqual(MAX_KVS_STORE_BYTES);
  });

  it('grants MediaLive per region, not per channel: 2,000 listed ARNs would not fit a role policy', () => {
    const listed = packaged.channels.flatMap((c) => (['primary', 'standby'] as const).map((side) => `arn:aws:medialive:${c[side].region}:123456789012:channel:${c[side].channelId}`));
    expect(JSON.stringify(listed).length).toBeGreaterThan(MAX_ROLE_INLINE_POLICY_CHARS);
    const medialive = ofType(template, 'AWS::IAM::Role').flatMap(([, role]) =>
      ((role.Properties.Policies as Array<{ PolicyDocument: { Statement: Array<{ Action: string[]; Resource: unknown[] }> } }>) ?? []).flatMap((p) =>
        p.PolicyDocument.Statement.filter((s) => s.Action.some((a) => a.startsWith('medialive:'))),
      ),
    );
    expect(medialive.length).toBeGreaterThanOrEqual(4);
    for (const s of medialive) {
      expect(s.Resource.length).toBeLessThanOrEqual(MAX_LISTED_CHANNEL_ARNS);
      for (const arn of s.Resource) expect(arn).toMatch(/^arn:aws:medialive:[a-z0-9-]+:123456789012:channel:\*$/);
    }
  });
});

describe(`a registry at the IAM threshold (${MAX_LISTED_CHANNEL_ARNS} MediaLive ARNs listed one by one)`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'flatline-iam-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('gives every role at most the inline policy IAM allows, with 10-digit MediaLive channel ids', () => {
    // Both sides of this many channels: exactly the largest list still granted ARN by ARN.
    const doc = deployableFleetDocument(MAX_LISTED_CHANNEL_ARNS / 2);
    doc.channels.forEach((c, i) => {
      c.primary.channelId = String(9_000_000_000 + i);
      c.standby.channelId = String(9_500_000_000 + i);
    });
    mkdirSync(join(dir, 'config'), { recursive: true });
    writeFileSync(join(dir, 'config', 'registry.iam.yml'), stringify(doc));
    const ctx = deployContext({ stage: 'iam', serviceDir: dir });
    expect(mediaLiveChannelArns(ctx, ['primary', 'standby'])).toHaveLength(MAX_LISTED_CHANNEL_ARNS);
    const roles = Object.entries(functionRoles(ctx));
    const listedSomewhere = roles.some(([, role]) => JSON.stringify(role).includes(`channel:${doc.channels[0]!.primary.channelId}`));
    expect(listedSomewhere).toBe(true);
    for (const [id, role] of roles) {
      const policies = (role.Properties as { Policies: Array<{ PolicyDocument: unknown }> }).Policies;
      const chars = policies.reduce((n, p) => n + JSON.stringify(p.PolicyDocument).length, 0);
      expect(chars, id).toBeLessThanOrEqual(MAX_ROLE_INLINE_POLICY_CHARS);
    }
  });
});
