// One place that builds the AWS SDK v3 clients. Clients are cached per region for the life of the
// process (one Lambda container), so a warm invocation reuses connections.
// Endpoints come from the SDK's own AWS_ENDPOINT_URL_<SERVICE> variables, which is how the local
// sandbox is reached; only KeyValueStore needs help (below).
import '@aws-sdk/signature-v4a'; // KVS requests are signed with SigV4A; the import registers the pure-JS signer.
import { CloudFrontClient } from '@aws-sdk/client-cloudfront';
import { CloudFrontKeyValueStoreClient } from '@aws-sdk/client-cloudfront-keyvaluestore';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { MediaLiveClient } from '@aws-sdk/client-medialive';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';

const controlRegion = (): string => process.env.AWS_REGION ?? 'us-west-2';
const cache = new Map<string, unknown>();

function cached<T>(key: string, make: () => T): T {
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

/**
 * The KVS endpoint rules prepend the account id to the host (<account>.cloudfront-kvs.global.api.aws),
 * which turns a plain loopback endpoint into an invalid URL; an explicit endpoint provider keeps it as is.
 */
export const kvsClient = (): CloudFrontKeyValueStoreClient =>
  cached('kvs', () => {
    const local = process.env.AWS_ENDPOINT_URL_CLOUDFRONT_KEYVALUESTORE;
    return new CloudFrontKeyValueStoreClient({
      region: 'us-east-1',
      ...(local ? { endpointProvider: () => ({ url: new URL(local) }) } : {}),
    });
  });

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
