// The MediaLive event forwarder: the control plane lives in the standby region, but MediaLive publishes a
// channel's events on the default bus of the channel's own region. One rule per other region forwards the
// registry's MediaLive events there to the control plane's bus (serverless.forwarder.yml, deployed with
// --region <primary region>). flatline still detects an outage without it (probe + alarms run in the
// control region); with it, triage also sees MediaLive's own alerts and state changes.
import { mediaLiveChannelArns } from './arns.js';
import type { CfnResources } from './cfn.js';
import { DeployConfigError, type DeployContext } from './context.js';

/** The same source and detail-types as triage's MediaLive rule in serverless.yml (a test keeps them equal). */
export const MEDIALIVE_EVENT_PATTERN = {
  source: ['aws.medialive'],
  'detail-type': ['MediaLive Channel Alert', 'MediaLive Channel State Change', 'MediaLive Channel Input Change'],
};

export function forwarderResources(ctx: DeployContext, controlRegion: string): CfnResources {
  if (controlRegion === ctx.region) {
    throw new DeployConfigError(`the forwarder is deployed in the regions the control plane is NOT in; ${ctx.region} is the control region`, { region: ctx.region });
  }
  const channels = mediaLiveChannelArns(ctx, ['primary', 'standby'], (c) => c.primary.region === ctx.region || c.standby.region === ctx.region)
    .filter((arn) => arn.split(':')[3] === ctx.region);
  if (channels.length === 0) {
    throw new DeployConfigError(`no channel of the registry has a MediaLive channel in ${ctx.region}: nothing to forward`, { region: ctx.region });
  }
  const targetBus = `arn:aws:events:${controlRegion}:${ctx.accountId}:event-bus/default`;
  return {
    MediaLiveForwarderRole: {
      Type: 'AWS::IAM::Role',
      Properties: {
        AssumeRolePolicyDocument: {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Action: 'sts:AssumeRole' }],
        },
        Policies: [
          {
            PolicyName: 'put-events-on-the-control-bus',
            PolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'events:PutEvents', Resource: targetBus }] },
          },
        ],
      },
    },
    MediaLiveForwarderRule: {
      Type: 'AWS::Events::Rule',
      Properties: {
        Name: `${ctx.service}-${ctx.stage}-medialive-to-${controlRegion}`,
        Description: `flatline: forward the registry's MediaLive events in ${ctx.region} to the control plane in ${controlRegion}`,
        // Source, detail-type, account and region: no channel list (a pattern holds at most 2,048
        // characters, https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html); triage
        // checks the channel against the registry and dead-letters the others with the reason.
        EventPattern: { ...MEDIALIVE_EVENT_PATTERN, account: [ctx.accountId], region: [ctx.region] },
        State: 'ENABLED',
        Targets: [{ Id: 'control-plane-bus', Arn: targetBus, RoleArn: { 'Fn::GetAtt': ['MediaLiveForwarderRole', 'Arn'] } }],
      },
    },
  };
}
