// A real DynamoDB wire endpoint for tests: dynalite in memory on 127.0.0.1:0, with the ledger table created.
import { createRequire } from 'node:module';
import type { AddressInfo, Server } from 'node:net';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ledgerTableInput } from '../../functions/domain/ledger/ledger.js';

// dynalite is CommonJS without type declarations; this is the one signature used.
const dynalite = createRequire(import.meta.url)('dynalite') as (opts: { createTableMs: number }) => Server;

export interface LocalDynamo {
  endpoint: string;
  tableName: string;
  client: DynamoDBClient;
  doc: DynamoDBDocumentClient;
  close(): Promise<void>;
}

export async function startLocalDynamo(tableName = 'flatline-test-ledger'): Promise<LocalDynamo> {
  const server = dynalite({ createTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new DynamoDBClient({ endpoint, region: 'us-west-2', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  await client.send(new CreateTableCommand(ledgerTableInput(tableName)));
  const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  return {
    endpoint,
    tableName,
    client,
    doc,
    close: async () => {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
