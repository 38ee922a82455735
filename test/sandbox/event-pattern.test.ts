// The EventBridge pattern matcher, on the real fixture events.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { matchesPattern } from '../../sandbox/aws/event-pattern.js';

const fixture = (name: string): Record<string, unknown> => JSON.parse(readFileSync(new URL(`../fixtures/events/${name}.json`, import.meta.url), 'utf8')) as Record<string, unknown>;
const alert = fixture('medialive-channel-alert-set-rtmp');
const stateChange = fixture('medialive-channel-state-change');
const alarm = fixture('cloudwatch-alarm-state-change');

describe('matchesPattern', () => {
  it('matches exact values, arrays of alternatives and nested detail fields', () => {
    expect(matchesPattern({ source: ['aws.medialive'], 'detail-type': ['MediaLive Channel Alert'], detail: { alarm_state: ['SET'] } }, alert)).toBe(true);
    expect(matchesPattern({ source: ['aws.medialive'], detail: { alarm_state: ['CLEARED'] } }, alert)).toBe(false);
    expect(matchesPattern({ 'detail-type': ['MediaLive Channel State Change', 'MediaLive Channel Alert'] }, stateChange)).toBe(true);
    expect(matchesPattern({ detail: { pipelines_running_count: [0] } }, stateChange)).toBe(true);
  });

  it('matches an event array when any element matches (resources)', () => {
    expect(matchesPattern({ resources: ['arn:aws:medialive:eu-west-1:082219553157:channel:3686054', 'other'] }, alert)).toBe(true);
    expect(matchesPattern({ resources: ['arn:aws:medialive:eu-west-1:082219553157:channel:1'] }, alert)).toBe(false);
  });

  it('supports prefix, suffix, equals-ignore-case, anything-but, exists, numeric, wildcard and $or', () => {
    const alarmName = (alarm.detail as { alarmName: string }).alarmName;
    expect(matchesPattern({ detail: { alarmName: [{ prefix: alarmName.slice(0, 4) }] } }, alarm)).toBe(true);
    expect(matchesPattern({ detail: { alarmName: [{ prefix: 'zzz' }] } }, alarm)).toBe(false);
    expect(matchesPattern({ detail: { alarmName: [{ suffix: alarmName.slice(-3) }] } }, alarm)).toBe(true);
    expect(matchesPattern({ source: [{ 'equals-ignore-case': 'AWS.MEDIALIVE' }] }, alert)).toBe(true);
    expect(matchesPattern({ detail: { alarm_state: [{ 'anything-but': ['CLEARED'] }] } }, alert)).toBe(true);
    expect(matchesPattern({ detail: { alarm_state: [{ 'anything-but': { prefix: 'S' } }] } }, alert)).toBe(false);
    expect(matchesPattern({ detail: { pipeline: [{ exists: true }] } }, alert)).toBe(true);
    expect(matchesPattern({ detail: { pipeline: [{ exists: false }] } }, stateChange)).toBe(true);
    expect(matchesPattern({ detail: { missing: ['x'] } }, alert)).toBe(false);
    expect(matchesPattern({ detail: { pipelines_running_count: [{ numeric: ['>=', 0, '<', 1] }] } }, stateChange)).toBe(true);
    expect(matchesPattern({ detail: { pipelines_running_count: [{ numeric: ['>', 0] }] } }, stateChange)).toBe(false);
    expect(matchesPattern({ 'detail-type': [{ wildcard: 'MediaLive * Alert' }] }, alert)).toBe(true);
    expect(matchesPattern({ $or: [{ source: ['nope'] }, { detail: { alarm_state: ['SET'] } }] }, alert)).toBe(true);
  });

  it('treats deploy-time values (an unresolved ${...} variable, a CloudFormation intrinsic) as any present value', () => {
    expect(matchesPattern({ resources: '${file(./deploy/serverless.cjs):mediaLiveChannelArns}' }, alert)).toBe(true);
    expect(matchesPattern({ detail: { alarmName: [{ Ref: 'SomeParameter' }] } }, alarm)).toBe(true);
    expect(matchesPattern({ detail: { nothere: '${self:custom.x}' } }, alarm)).toBe(false);
  });
});
