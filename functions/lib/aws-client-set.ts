// Every AWS client of one budget in one object, for the tools (the CLI's game day, the sandbox's drill rig,
// tests): they use many services and are not Lambda bundles. A handler names the one client class it needs
// through awsClient() instead, so its bundle carries no other SDK client.
import { CloudFrontClient } from '@aws-sdk/client-cloudfront';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { MediaLiveClient } from '@aws-sdk/client-medialive';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { awsClient, CLOUDFRONT_REGION, type BudgetName } from './aws-clients.js';
import { documentClient } from './dynamodb-client.js';

export interface AwsClientSet {
  mediaLive: (region: string) => MediaLiveClient;
  cloudFront: () => CloudFrontClient;
  sns: () => SNSClient;
  sfn: () => SFNClient;
  eventBridge: () => EventBridgeClient;
  dynamoDoc: () => DynamoDBDocumentClient;
}

export const awsClients = (budget: BudgetName): AwsClientSet => ({
  mediaLive: (region) => awsClient(MediaLiveClient, budget, region),
  cloudFront: () => awsClient(CloudFrontClient, budget, CLOUDFRONT_REGION),
  sns: () => awsClient(SNSClient, budget),
  sfn: () => awsClient(SFNClient, budget),
  eventBridge: () => awsClient(EventBridgeClient, budget),
  dynamoDoc: () => documentClient(budget),
});
