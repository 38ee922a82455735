// Reading a packaged CloudFormation template in tests: typed lookups and an IAM statement walker.
import { readFileSync } from 'node:fs';

export interface Resource {
  Type: string;
  Properties: Record<string, unknown>;
  DependsOn?: string | string[];
}
export interface Template {
  Resources: Record<string, Resource>;
  Outputs?: Record<string, { Value: unknown }>;
}

export const readTemplate = (path: string): Template => JSON.parse(readFileSync(path, 'utf8')) as Template;

export function resource(t: Template, logicalId: string): Resource {
  const r = t.Resources[logicalId];
  if (!r) throw new Error(`no resource ${logicalId} in the template (have: ${Object.keys(t.Resources).join(', ')})`);
  return r;
}

export const ofType = (t: Template, type: string): Array<[string, Resource]> => Object.entries(t.Resources).filter(([, r]) => r.Type === type);

export interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Sid?: string;
}
export interface OwnedStatement {
  owner: string;
  statement: Statement;
  actions: string[];
  resources: unknown[];
}

const asArray = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);

/** Every statement of every identity policy in the template (inline role policies and AWS::IAM::Policy). */
export function identityStatements(t: Template): OwnedStatement[] {
  const out: OwnedStatement[] = [];
  for (const [id, r] of Object.entries(t.Resources)) {
    const documents: unknown[] = [];
    if (r.Type === 'AWS::IAM::Role') {
      for (const p of (r.Properties.Policies as Array<{ PolicyDocument: unknown }> | undefined) ?? []) documents.push(p.PolicyDocument);
    } else if (r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy') {
      documents.push(r.Properties.PolicyDocument);
    }
    for (const doc of documents) {
      for (const statement of asArray((doc as { Statement: Statement | Statement[] }).Statement)) {
        out.push({ owner: id, statement, actions: asArray(statement.Action), resources: asArray(statement.Resource) });
      }
    }
  }
  return out;
}

/** Read-only by IAM's naming convention; everything else may change something. */
export const isMutating = (action: string): boolean => !/^[\w-]+:(Get|Describe|List)/.test(action);

/** Lists the file names in a zip's central directory (enough to check what a Lambda package holds). */
export function zipEntries(path: string): string[] {
  const buf = readFileSync(path);
  const end = buf.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (end < 0) throw new Error(`${path} is not a zip`);
  const count = buf.readUInt16LE(end + 10);
  let offset = buf.readUInt32LE(end + 16);
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    const nameLength = buf.readUInt16LE(offset + 28);
    const extraLength = buf.readUInt16LE(offset + 30);
    const commentLength = buf.readUInt16LE(offset + 32);
    names.push(buf.toString('utf8', offset + 46, offset + 46 + nameLength));
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return names;
}
