// Task "Notify*": SNS to NOTIFY_TOPIC_ARN; slate, rollback and failures page.
import { notify } from '../../domain/reconcilers/notify.js';
import { IncidentInput, notification } from '../incident-outcome.js';
import { stepHandler } from '../step.js';
import { SNSClient } from '@aws-sdk/client-sns';

export const handler = stepHandler('notify', IncidentInput, (input, channel, aws) => {
  const { subject, message, severity } = notification(input);
  return notify({
    topicArn: process.env.NOTIFY_TOPIC_ARN,
    channelId: channel.id,
    incidentId: input.incidentId,
    subject,
    message,
    severity,
    mode: input.mode,
    sns: aws(SNSClient),
  });
});
