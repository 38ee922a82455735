// DynamoDB = dynalite in memory on its own loopback port (it speaks the real JSON 1.0 protocol), with the
// ledger table created at start. dynalite 4 has no transactions (TransactWriteItems answers
// UnknownOperationException) and no TTL (items never expire): the ledger uses single-item conditional writes
// and compares expiry times itself.
import { createRequire } from 'node:module';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, type CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

interface DynaliteOptions {
  createTableMs?: number;
  deleteTableMs?: number;
  updateTableMs?: number;
}
// dynalite is CommonJS without types: require it and describe the one function used.
const dynalite = createRequire(import.meta.url)('dynalite') as (opts: DynaliteOptions) => Server;

export interface LocalDynamo {
  endpoint: string;
  close(): Promise<void>;
}

/** Refuses a request before dynalite sees it: an error code and message, or undefined to let it through. */
export type DynamoRefusal = (authorization: string | string[] | undefined) => { code: string; message: string } | undefined;

/** Starts dynalite and creates `tables` (CreateTable inputs, e.g. the ledger's ledgerTableInput). */
export async function startDynalite(
  tables: CreateTableCommandInput[],
  credentials: { accessKeyId: string; secretAccessKey: string },
  refusal: DynamoRefusal = () => undefined,
): Promise<LocalDynamo> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  // dynalite checks no credentials: a request signed with revoked ones is answered here, as DynamoDB's JSON 1.0 error.
  const dynaliteListeners = server.listeners('request') as Array<(req: IncomingMessage, res: ServerResponse) => void>;
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const refused = refusal(req.headers.authorization);
    if (!refused) {
      for (const l of dynaliteListeners) l.call(server, req, res);
      return;
    }
    req.resume();
    const body = JSON.stringify({ __type: `com.amazon.coral.service#${refused.code}`, message: refused.message });
    res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-errortype': refused.code, 'content-length': String(Buffer.byteLength(body)) });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new DynamoDBClient({ endpoint, region: 'us-west-2', credentials });
  try {
    for (const t of tables) {
      await client.send(new CreateTableCommand(t));
      // createTableMs 0 still passes through CREATING for one tick.
      for (let i = 0; i < 100; i++) {
        const d = await client.send(new DescribeTableCommand({ TableName: t.TableName }));
        if (d.Table?.TableStatus === 'ACTIVE') break;
        await new Promise((r) => setTimeout(r, 2));
      }
    }
  } finally {
    client.destroy();
  }
  return {
    endpoint,
    // Graceful: requests in flight finish before dynalite closes its database (cutting their sockets would
    // leave dynalite to run them against a closed database, which throws outside any promise).
    close: () =>
      new Promise<void>((resolve) => {
        server.closeIdleConnections();
        server.close(() => resolve());
      }),
  };
}
