// A 1,000-channel registry packages into a stack AWS accepts: the real `serverless package` (one run, slow),
// then every quota that applies, checked on its output.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fleetDocument } from '../../sandbox/testkit/fleet.js';
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

let service: ServiceDir;
let template: Template;
let templateBytes: number;

beforeAll(async () => {
  const doc = fleetDocument('https://origin.example.com', Array.from({ length: CHANNELS }, (_, i) => `ch-${i}`));
  doc.channels.slice(0, CRITICAL).forEach((c) => Object.assign(c, { critical: true }));
  // A deployable registry: https origins, not the sandbox's local world.
  delete (doc as { local?: boolean }).local;
  service = makeServiceDir(STAGE, stringify(doc));
  const run = await runServerless(service.dir, ['package', '--stage', STAGE, '--package', service.out]);
  if (run.code !== 0) throw new Error(`serverless package failed (${run.code}):\n${run.output}`);
  const file = join(service.out, 'cloudformation-template-update-stack.json');
  templateBytes = statSync(file).size;
  template = readTemplate(file);
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
});
