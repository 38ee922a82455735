// Tells people: SNS Publish to the notification topic. Pages (slate, rollback, failure) carry
// severity "page" as a message attribute so subscriptions can filter on it.
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { awsCall, ConfigurationError } from './errors.js';
import { change, type Mode, type StepReport } from './report.js';

export type NotifySeverity = 'info' | 'warning' | 'page';

export interface NotifyInput {
  topicArn: string | undefined;
  channelId: string;
  incidentId: string;
  subject: string;
  message: string;
  severity: NotifySeverity;
  mode: Mode;
  sns: SNSClient;
}

/** SNS subjects: ASCII, no line breaks, at most 100 characters. */
export const snsSubject = (text: string): string =>
  text.replace(/[^\x20-\x7e]/g, '?').slice(0, 100) || 'flatline';

export async function notify(input: NotifyInput): Promise<StepReport<{ topicArn: string | null; severity: NotifySeverity; subject: string; messageId?: string }>> {
  const subject = snsSubject(input.subject);
  const observed = { topicArn: input.topicArn ?? null, severity: input.severity, subject };
  const changes = [change(input.mode, `sns:${input.topicArn ?? '(unset)'}`, null, { subject, severity: input.severity })];
  if (input.mode === 'plan') return { step: 'notify', observed, changes };
  const topicArn = input.topicArn;
  if (!topicArn) throw new ConfigurationError('NOTIFY_TOPIC_ARN is not set: cannot notify', { channelId: input.channelId, incidentId: input.incidentId });
  const out = await awsCall({ service: 'sns', operation: 'Publish', topicArn }, () =>
    input.sns.send(
      new PublishCommand({
        TopicArn: topicArn,
        Subject: subject,
        Message: input.message,
        MessageAttributes: {
          severity: { DataType: 'String', StringValue: input.severity },
          channelId: { DataType: 'String', StringValue: input.channelId },
          incidentId: { DataType: 'String', StringValue: input.incidentId },
        },
      }),
    ),
  );
  return { step: 'notify', observed: { ...observed, ...(out.MessageId ? { messageId: out.MessageId } : {}) }, changes };
}
