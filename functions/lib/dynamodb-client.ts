// The DynamoDB document client (the ledger's), built on the budgeted DynamoDB client of aws-clients.ts.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { awsClient, type BudgetName } from './aws-clients.js';

const documents = new WeakMap<DynamoDBClient, DynamoDBDocumentClient>();

export function documentClient(budget: BudgetName, env: NodeJS.ProcessEnv = process.env): DynamoDBDocumentClient {
  const base = awsClient(DynamoDBClient, budget, undefined, env);
  let doc = documents.get(base);
  if (!doc) {
    doc = DynamoDBDocumentClient.from(base, { marshallOptions: { removeUndefinedValues: true } });
    documents.set(base, doc);
  }
  return doc;
}
