// SNS Publish over the query protocol (form-encoded request, XML response). Published messages are recorded
// for assertions (the page a failed failover sends, the notification of a completed one).
import { randomUUID } from 'node:crypto';
import {
  AwsServiceError,
  escapeXml,
  xmlError,
  type ResolvedOperation,
  type SandboxService,
  type WireRequest,
  type WireResponse,
} from './wire.js';

const XMLNS = 'http://sns.amazonaws.com/doc/2010-03-31/';

export interface SnsMessage {
  messageId: string;
  topicArn: string;
  subject?: string;
  message: string;
  attributes: Record<string, string>;
  at: number;
}

export class SnsService implements SandboxService {
  readonly name = 'sns' as const;
  readonly messages: SnsMessage[] = [];

  /** SNS's throttling error on the query wire: code "Throttled", HTTP 429 (the SDK's ThrottledException). */
  throttleError(): AwsServiceError {
    return new AwsServiceError(429, 'Throttled', 'Rate exceeded');
  }

  renderError(err: AwsServiceError, req: WireRequest): WireResponse {
    return xmlError(err, XMLNS, req.requestId);
  }

  resolve(req: WireRequest): ResolvedOperation {
    const form = new URLSearchParams(req.body);
    const action = form.get('Action') ?? 'Unknown';
    if (action === 'Publish') return { operation: action, mutating: true, run: () => this.publish(form, req) };
    return {
      operation: action,
      mutating: false,
      run: () => {
        throw new AwsServiceError(400, 'InvalidAction', `sandbox SNS does not implement ${action}`);
      },
    };
  }

  /** Records a message published to a topic (by Publish, or by a CloudWatch alarm's action); returns its id. */
  deliver(topicArn: string, message: string, subject?: string, attributes: Record<string, string> = {}): string {
    const messageId = randomUUID();
    this.messages.push({ messageId, topicArn, message, attributes, at: Date.now(), ...(subject !== undefined ? { subject } : {}) });
    return messageId;
  }

  private publish(form: URLSearchParams, req: WireRequest): WireResponse {
    const topicArn = form.get('TopicArn') ?? form.get('TargetArn');
    const message = form.get('Message');
    if (!topicArn) throw new AwsServiceError(400, 'InvalidParameter', 'Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter');
    if (message === null) throw new AwsServiceError(400, 'InvalidParameter', 'Invalid parameter: Message Reason: cannot be empty');
    const attributes: Record<string, string> = {};
    for (let i = 1; form.has(`MessageAttributes.entry.${i}.Name`); i++) {
      const name = form.get(`MessageAttributes.entry.${i}.Name`)!;
      attributes[name] = form.get(`MessageAttributes.entry.${i}.Value.StringValue`) ?? form.get(`MessageAttributes.entry.${i}.Value.BinaryValue`) ?? '';
    }
    const subject = form.get('Subject');
    const messageId = this.deliver(topicArn, message, subject ?? undefined, attributes);
    return {
      status: 200,
      headers: { 'content-type': 'text/xml' },
      body:
        `<PublishResponse xmlns="${XMLNS}"><PublishResult><MessageId>${escapeXml(messageId)}</MessageId></PublishResult>` +
        `<ResponseMetadata><RequestId>${req.requestId}</RequestId></ResponseMetadata></PublishResponse>`,
    };
  }
}
