// One place that builds the AWS SDK v3 clients. Clients are cached per region for the life of the
// process (one Lambda container), so a warm invocation reuses connections.
// Endpoints come from the SDK's own AWS_ENDPOINT_URL_<SERVICE> variables, which is how the local
// sandbox is reached. The KeyValueStore client lives in kvs-client.ts: only its users load the SigV4A signer.
import { CloudFrontClient } from '@aws-sdk/client-cloudfront';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { MediaLiveClient } from '@aws-sdk/client-medialive';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';

const controlRegion = (): string => process.env.AWS_REGION ?? 'us-west-2';
const cache = new Map<string, unknown>();

/** The per-process cache every client factory goes through (resetClients() empties it). */
export function cached<T>(key: string, make: () => T): T {
  let client = cache.get(key) as T | undefined;
  if (!client) {
    client = make();
    cache.set(key, client);
  }
  return client;
}

/** MediaLive in the channel's own region (the primary and the standby live in different regions). */
export const mediaLiveClient = (region: string): MediaLiveClient =>
  cached(`medialive:${region}`, () => new MediaLiveClient({ region }));

/** CloudFront is a global service signed in us-east-1. */
export const cloudFrontClient = (): CloudFrontClient =>
  cached('cloudfront', () => new CloudFrontClient({ region: 'us-east-1' }));

export const snsClient = (): SNSClient => cached('sns', () => new SNSClient({ region: controlRegion() }));
export const sfnClient = (): SFNClient => cached('sfn', () => new SFNClient({ region: controlRegion() }));
export const eventBridgeClient = (): EventBridgeClient =>
  cached('events', () => new EventBridgeClient({ region: controlRegion() }));
export const dynamoDocClient = (): DynamoDBDocumentClient =>
  cached('dynamodb', () =>
    DynamoDBDocumentClient.from(new DynamoDBClient({ region: controlRegion() }), {
      marshallOptions: { removeUndefinedValues: true },
    }),
  );

/** Drops every cached client (the sandbox calls it after it changes endpoints or credentials). */
export function resetClients(): void {
  cache.clear();
}
