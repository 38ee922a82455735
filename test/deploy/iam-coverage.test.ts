// Least privilege checked against the code: for every function, the AWS API calls its bundle can make are
// exactly the actions its role grants — a new call without a grant, or a grant nothing calls, fails here
// instead of in production. A call = an SDK command that survives esbuild's tree shaking in the deployed
// bundle AND is imported by a flatline source in it (the SDK links a few commands it never sends itself,
// e.g. DynamoDB paginators' Query/Scan).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { handlerSource, readServerlessBuild } from '../../deploy/bundle-options.js';
import { deployContext } from '../../deploy/context.js';
import { functionStatements } from '../../deploy/iam.js';
import { FUNCTION_KEYS, type FunctionKey } from '../../deploy/names.js';
import { REPO } from './service-dir.js';

/** IAM service prefix of each SDK package flatline uses. */
const IAM_PREFIX: Record<string, string | undefined> = {
  '@aws-sdk/client-medialive': 'medialive',
  '@aws-sdk/client-cloudfront': 'cloudfront',
  '@aws-sdk/client-cloudfront-keyvaluestore': 'cloudfront-keyvaluestore',
  '@aws-sdk/client-dynamodb': 'dynamodb',
  '@aws-sdk/lib-dynamodb': 'dynamodb',
  '@aws-sdk/client-sns': 'sns',
  '@aws-sdk/client-sfn': 'states',
  '@aws-sdk/client-eventbridge': 'events',
};
/** The document client's command names are not the API operations they call. */
const DOCUMENT_CLIENT_OPERATION: Record<string, string> = {
  Get: 'GetItem',
  Put: 'PutItem',
  Update: 'UpdateItem',
  Delete: 'DeleteItem',
  BatchGet: 'BatchGetItem',
  BatchWrite: 'BatchWriteItem',
  TransactGet: 'TransactGetItems',
  TransactWrite: 'TransactWriteItems',
};
/** Granted without an SDK call in the function's code. */
const NOT_SDK_CALLS = new Set([
  'logs:CreateLogStream', // the Lambda runtime writes the function's logs with its role
  'logs:PutLogEvents',
  'sqs:SendMessage', // triage's async on-failure destination is delivered with triage's role
  'kms:GenerateDataKey', // SNS encrypts what the function publishes to the KMS-encrypted topic with the caller's grant
  'kms:Decrypt',
]);

/** IAM actions implied by the SDK commands a source file imports (value imports only). */
export function actionsOfSource(text: string): string[] {
  const actions: string[] = [];
  for (const m of text.matchAll(/import\s*\{([\s\S]*?)\}\s*from\s*['"](@aws-sdk\/[^'"]+)['"]/g)) {
    if (!IAM_PREFIX[m[2]!] || /^import\s+type/.test(m[0])) continue;
    for (const raw of m[1]!.split(',')) {
      const name = raw.trim().split(/\s+as\s+/)[0]!;
      if (name.startsWith('type ') || !name.endsWith('Command')) continue;
      const operation = name.slice(0, -'Command'.length);
      actions.push(action(m[2]!, operation)!);
    }
  }
  return actions;
}

function action(pkg: string, operation: string): string | undefined {
  const prefix = IAM_PREFIX[pkg];
  if (!prefix) return undefined;
  const api = pkg === '@aws-sdk/lib-dynamodb' ? (DOCUMENT_CLIENT_OPERATION[operation] ?? operation) : operation;
  return `${prefix}:${api}`;
}

/** IAM actions of the SDK command modules left in a bundle. */
function actionsOfBundledCommands(inputs: string[]): string[] {
  return inputs.flatMap((f) => {
    const m = /node_modules\/(@aws-sdk\/[^/]+)\/dist-es\/commands\/(\w+)Command\.js$/.exec(f);
    const a = m ? action(m[1]!, m[2]!) : undefined;
    return a ? [a] : [];
  });
}

const called = new Map<FunctionKey, string[]>();
const granted = new Map<FunctionKey, string[]>();

beforeAll(async () => {
  const { handlers, esbuild } = readServerlessBuild(REPO);
  await Promise.all(
    FUNCTION_KEYS.map(async (key) => {
      const result = await build({ ...esbuild, entryPoints: [join(REPO, handlerSource(handlers[key]!))], write: false, metafile: true, logLevel: 'silent', outdir: '/tmp/unused' });
      const inputs = Object.values(result.metafile.outputs).flatMap((o) => Object.entries(o.inputs).filter(([, i]) => i.bytesInOutput > 0).map(([f]) => f));
      const bundled = new Set(actionsOfBundledCommands(inputs));
      const imported = inputs.filter((f) => !f.includes('node_modules') && f.endsWith('.ts')).flatMap((f) => actionsOfSource(readFileSync(join(REPO, f), 'utf8')));
      called.set(key, [...new Set(imported.filter((a) => bundled.has(a)))].sort());
    }),
  );
  const statements = functionStatements(deployContext({ stage: 'example', serviceDir: REPO }));
  for (const key of FUNCTION_KEYS) granted.set(key, [...new Set(statements[key].flatMap((s) => s.Action))].filter((a) => !NOT_SDK_CALLS.has(a)).sort());
}, 120_000);

describe('IAM grants match the code', () => {
  it('reads SDK commands from imports (value imports, aliases, the document client)', () => {
    const source = `import { GetCommand, UpdateCommand as U, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
      import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
      import {\n  PutKeyCommand,\n  type GetKeyCommandOutput,\n} from '@aws-sdk/client-cloudfront-keyvaluestore';`;
    expect(actionsOfSource(source)).toEqual(['dynamodb:GetItem', 'dynamodb:UpdateItem', 'cloudfront-keyvaluestore:PutKey']);
  });

  for (const key of FUNCTION_KEYS) {
    it(`${key}: every call granted, every grant called`, () => {
      expect(granted.get(key), key).toEqual(called.get(key));
    });
  }
});
