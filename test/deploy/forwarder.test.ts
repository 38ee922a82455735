// serverless.forwarder.yml: in the primary region, one rule forwards the registry's MediaLive events to the
// control plane's bus in the standby region. Packaged for real (osls, offline), like serverless.yml.
import { copyFileSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseYamlWithCfnTags } from '../../deploy/serverless-config.js';
import { actionProblems, conditionProblems, specProblems } from './cfn-spec.js';
import { makeServiceDir, REPO, runServerless, type ServiceDir } from './service-dir.js';
import { readTemplate, resource, type Template } from './template.js';

let service: ServiceDir;
let template: Template;

beforeAll(async () => {
  service = makeServiceDir('example');
  rmSync(join(service.dir, 'serverless.forwarder.yml'));
  copyFileSync(join(REPO, 'serverless.forwarder.yml'), join(service.dir, 'serverless.forwarder.yml'));
  const run = await runServerless(service.dir, ['package', '--config', 'serverless.forwarder.yml', '--stage', 'example', '--region', 'us-east-1', '--package', service.out]);
  expect(run.code, run.output).toBe(0);
  template = readTemplate(join(service.out, 'cloudformation-template-update-stack.json'));
}, 120_000);
afterAll(() => service?.cleanup());

describe('the MediaLive event forwarder (serverless.forwarder.yml)', () => {
  it("forwards exactly what triage's MediaLive rule matches, for the channels of its region, to the control region's bus", () => {
    const sls = parseYamlWithCfnTags(readFileSync(join(REPO, 'serverless.yml'), 'utf8')) as {
      functions: { triage: { events: Array<{ eventBridge?: { name: string; pattern: Record<string, unknown> } }> } };
    };
    const triageRule = sls.functions.triage.events.find((e) => e.eventBridge?.name.endsWith('-triage-medialive'))!.eventBridge!;
    const rule = resource(template, 'MediaLiveForwarderRule').Properties as {
      EventPattern: Record<string, unknown>;
      Targets: Array<{ Arn: string; RoleArn: unknown }>;
    };
    expect(rule.EventPattern.source).toEqual(triageRule.pattern.source);
    expect(rule.EventPattern['detail-type']).toEqual(triageRule.pattern['detail-type']);
    // The example registry's primaries are in us-east-1; its standbys (us-west-2) are already on the control bus.
    // No channel list (it would outgrow the 2,048-character pattern quota): triage checks the channel.
    expect(rule.EventPattern.account).toEqual(['123456789012']);
    expect(rule.EventPattern.region).toEqual(['us-east-1']);
    expect(rule.EventPattern).not.toHaveProperty('resources');
    expect(rule.Targets).toEqual([
      { Id: 'control-plane-bus', Arn: 'arn:aws:events:us-west-2:123456789012:event-bus/default', RoleArn: { 'Fn::GetAtt': ['MediaLiveForwarderRole', 'Arn'] } },
    ]);
  });

  it('its role may only put events on that one bus', () => {
    const role = resource(template, 'MediaLiveForwarderRole').Properties as { Policies: Array<{ PolicyDocument: { Statement: unknown[] } }> };
    expect(role.Policies.flatMap((p) => p.PolicyDocument.Statement)).toEqual([
      { Effect: 'Allow', Action: 'events:PutEvents', Resource: 'arn:aws:events:us-west-2:123456789012:event-bus/default' },
    ]);
  });

  it('is known to the CloudFormation specification and names only IAM actions and condition keys of the Service Authorization Reference', async () => {
    expect(specProblems(template)).toEqual([]);
    expect(await actionProblems(template)).toEqual([]);
    expect(await conditionProblems(template)).toEqual([]);
  });

  it('refuses to deploy in the control region itself, with the reason', async () => {
    const run = await runServerless(service.dir, ['package', '--config', 'serverless.forwarder.yml', '--stage', 'example', '--region', 'us-west-2', '--package', `${service.out}-2`]);
    expect(run.code).not.toBe(0);
    expect(run.output).toMatch(/us-west-2 is the control region/);
  }, 120_000);
});
