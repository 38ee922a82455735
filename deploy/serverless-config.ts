// Reads serverless.yml the way the sandbox and the bundle tools need it: the functions (handler module + export), the EventBridge
// rules of each function, and the state machines (name + ASL definition from `${file(...)}`). Read from the
// file, not copied, so the local run routes events exactly as the deployed rules do.
// Variables: the simple sources are resolved (sls:stage, opt:stage/region, self:..., aws:region/accountId,
// env:, file(x.json|yml)). A JS variable file in an event pattern (`${file(./deploy/x.cjs):name}`) is
// required and its export called with the same { options, resolveVariable, resolveConfigurationProperty }
// API osls gives it; when that fails the "${...}" string stays, which the pattern matcher treats as
// "any value" (see event-pattern.ts). Anything else unresolvable also stays as its "${...}" string.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { parse, YAMLMap, YAMLSeq, type CollectionTag, type ScalarTag, type Tags } from 'yaml';

/** An EventBridge event pattern as serverless.yml declares it. */
export type EventPattern = { [field: string]: unknown };

export interface FunctionConfig {
  key: string;
  /** e.g. "functions/triage/handler.handler" */
  handler: string;
  timeoutSeconds: number;
  /** Lambda async invoke retries (AWS default 2). */
  maximumRetryAttempts?: number;
  /**
   * provider.environment merged with the function's own (the function's win), variables resolved. A value the
   * deploy fills in (`!Ref`, `!GetAtt`, an unresolved `${...}`) is null: only the name is known here.
   */
  environment?: Record<string, string | null>;
}

export interface RuleConfig {
  name: string;
  functionKey: string;
  pattern: EventPattern;
  eventBus?: unknown;
}

export interface StateMachineConfig {
  key: string;
  name: string;
  definition: Record<string, unknown>;
}

export interface ServerlessConfig {
  path: string;
  /** Directory of serverless.yml: handler paths are relative to it. */
  root: string;
  service: string;
  functions: Record<string, FunctionConfig>;
  rules: RuleConfig[];
  stateMachines: Record<string, StateMachineConfig>;
}

export interface ResolveContext {
  stage: string;
  region: string;
  /** What `${aws:accountId}` resolves to. */
  accountId: string;
}

/** CloudFormation short-form tags (!Ref, !GetAtt, ...) become their long-form objects. */
const CFN_FUNCTIONS = ['Ref', 'GetAtt', 'Sub', 'Join', 'Select', 'Split', 'If', 'Equals', 'Not', 'And', 'Or', 'ImportValue', 'FindInMap', 'GetAZs', 'Base64', 'Cidr', 'Condition'];
const cfnTags: Tags = CFN_FUNCTIONS.flatMap((n): Array<ScalarTag | CollectionTag> => {
  const key = n === 'Ref' || n === 'Condition' ? n : `Fn::${n}`;
  const scalar: ScalarTag = { tag: `!${n}`, resolve: (s: string) => ({ [key]: n === 'GetAtt' ? s.split('.') : s }) };
  const seq: CollectionTag = { tag: `!${n}`, collection: 'seq', nodeClass: YAMLSeq, resolve: (v) => ({ [key]: v.toJSON() as unknown }) };
  const map: CollectionTag = { tag: `!${n}`, collection: 'map', nodeClass: YAMLMap, resolve: (v) => ({ [key]: v.toJSON() as unknown }) };
  return [scalar, seq, map];
});

export function parseYamlWithCfnTags(text: string): unknown {
  return parse(text, { customTags: cfnTags, logLevel: 'error' });
}

export async function loadServerlessConfig(path: string, ctx: ResolveContext): Promise<ServerlessConfig> {
  const root = dirname(resolve(path));
  const raw = parseYamlWithCfnTags(readFileSync(path, 'utf8')) as Record<string, unknown>;
  const doc = resolveVariables(raw, raw, root, ctx) as Record<string, unknown>;
  const functions: Record<string, FunctionConfig> = {};
  const rules: RuleConfig[] = [];
  const provider = asObject(doc.provider);
  for (const [key, value] of Object.entries(asObject(doc.functions))) {
    const fn = asObject(value);
    if (typeof fn.handler !== 'string') continue;
    const timeout = Number(fn.timeout ?? provider.timeout ?? 6);
    functions[key] = {
      key,
      handler: fn.handler,
      timeoutSeconds: Number.isFinite(timeout) ? timeout : 6,
      ...(fn.maximumRetryAttempts !== undefined ? { maximumRetryAttempts: Number(fn.maximumRetryAttempts) } : {}),
      environment: environmentOf({ ...asObject(provider.environment), ...asObject(fn.environment) }),
    };
    asArray(fn.events).forEach((e, i) => {
      const ev = asObject(e);
      const eb = asObject(ev.eventBridge ?? ev.cloudwatchEvent);
      const pattern = eb.pattern ?? eb.event ?? ev.event;
      if (pattern && typeof pattern === 'object' && !Array.isArray(pattern)) {
        rules.push({ name: `${key}-rule-${i + 1}`, functionKey: key, pattern: pattern as EventPattern, eventBus: eb.eventBus });
      }
    });
  }
  const stateMachines: Record<string, StateMachineConfig> = {};
  for (const [key, value] of Object.entries(asObject(asObject(doc.stepFunctions).stateMachines))) {
    const sm = asObject(value);
    const definition = typeof sm.definition === 'string' ? tryJson(sm.definition) : sm.definition;
    if (!definition || typeof definition !== 'object') continue;
    const name = typeof sm.name === 'string' && !sm.name.includes('${') ? sm.name : key;
    stateMachines[key] = { key, name, definition: definition as Record<string, unknown> };
  }
  const serviceName = asObject(doc.service).name;
  const service = typeof doc.service === 'string' ? doc.service : typeof serviceName === 'string' ? serviceName : 'service';
  const jsVariables = new JsFileVariables(root, raw, doc, ctx);
  for (const rule of rules) rule.pattern = (await jsVariables.resolveIn(rule.pattern)) as EventPattern;
  return { path, root, service, functions, rules, stateMachines };
}

/** Environment values as Lambda would get them: strings (numbers and booleans as text); deploy-time values null. */
function environmentOf(vars: Record<string, unknown>): Record<string, string | null> {
  return Object.fromEntries(
    Object.entries(vars).map(([k, v]) => [k, (typeof v === 'string' && !v.includes('${')) || typeof v === 'number' || typeof v === 'boolean' ? String(v) : null]),
  );
}

const JS_FILE_VARIABLE = /^\$\{file\(([^)]+\.c?js)\):(\w+)\}$/;

/** `${file(./x.cjs):name}` resolved as osls does: require the file, call (or read) the named export. */
class JsFileVariables {
  private readonly cache = new Map<string, Promise<unknown>>();
  private readonly require: NodeJS.Require;

  constructor(
    private readonly root: string,
    private readonly raw: Record<string, unknown>,
    private readonly doc: Record<string, unknown>,
    private readonly ctx: ResolveContext,
  ) {
    this.require = createRequire(resolve(root, 'serverless.yml'));
  }

  async resolveIn(node: unknown): Promise<unknown> {
    if (typeof node === 'string') {
      const m = JS_FILE_VARIABLE.exec(node);
      if (!m) return node;
      let value = this.cache.get(node);
      if (!value) {
        value = this.call(m[1]!, m[2]!).catch(() => node);
        this.cache.set(node, value);
      }
      return value;
    }
    if (Array.isArray(node)) return Promise.all(node.map((n) => this.resolveIn(n)));
    if (node && typeof node === 'object') {
      const entries = await Promise.all(Object.entries(node).map(async ([k, v]) => [k, await this.resolveIn(v)] as const));
      return Object.fromEntries(entries);
    }
    return node;
  }

  private async call(file: string, name: string): Promise<unknown> {
    const mod = this.require(resolve(this.root, file.trim().replace(/^['"]|['"]$/g, ''))) as Record<string, unknown>;
    const exported = mod[name];
    if (typeof exported !== 'function') return exported;
    const api = {
      options: { stage: this.ctx.stage, region: this.ctx.region },
      resolveVariable: async (expr: string) => {
        const v = resolveSources(expr.replace(/^\$\{|\}$/g, ''), this.raw, this.root, this.ctx, 0);
        return v === UNRESOLVED ? undefined : v;
      },
      resolveConfigurationProperty: async (path: string[]) => {
        let v: unknown = this.doc;
        for (const k of path) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
        return v;
      },
    };
    return (exported as (a: typeof api) => unknown)(api);
  }
}

/** Resolves the variable sources a local run can know; leaves the rest as "${...}" strings. */
export function resolveVariables(node: unknown, doc: Record<string, unknown>, root: string, ctx: ResolveContext, depth = 0): unknown {
  if (depth > 20) return node;
  if (typeof node === 'string') return resolveString(node, doc, root, ctx, depth);
  if (Array.isArray(node)) return node.map((n) => resolveVariables(n, doc, root, ctx, depth));
  if (node && typeof node === 'object') {
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, resolveVariables(v, doc, root, ctx, depth)]));
  }
  return node;
}

const UNRESOLVED = Symbol('unresolved');

function resolveString(s: string, doc: Record<string, unknown>, root: string, ctx: ResolveContext, depth: number): unknown {
  const whole = s.match(/^\$\{([^{}]+)\}$/);
  if (whole?.[1]) {
    const v = resolveSources(whole[1], doc, root, ctx, depth);
    return v === UNRESOLVED ? s : v;
  }
  let changed = false;
  const out = s.replace(/\$\{([^{}]+)\}/g, (m, expr: string) => {
    const v = resolveSources(expr, doc, root, ctx, depth);
    if (v === UNRESOLVED || (typeof v === 'object' && v !== null)) return m;
    changed = true;
    return String(v);
  });
  // A replacement may expose an outer variable (nested ${...}); resolve again.
  return changed && out.includes('${') ? resolveString(out, doc, root, ctx, depth + 1) : out;
}

/** `a, b, 'default'`: the first source that resolves wins. */
function resolveSources(expr: string, doc: Record<string, unknown>, root: string, ctx: ResolveContext, depth: number): unknown {
  for (const part of splitSources(expr)) {
    const v = resolveSource(part.trim(), doc, root, ctx, depth);
    if (v !== UNRESOLVED && v !== undefined) return v;
  }
  return UNRESOLVED;
}

function splitSources(expr: string): string[] {
  const parts: string[] = [];
  let depthParen = 0;
  let current = '';
  for (const ch of expr) {
    if (ch === '(') depthParen++;
    if (ch === ')') depthParen--;
    if (ch === ',' && depthParen === 0) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);
  return parts;
}

function resolveSource(src: string, doc: Record<string, unknown>, root: string, ctx: ResolveContext, depth: number): unknown {
  const quoted = src.match(/^(['"])(.*)\1$/);
  if (quoted) return quoted[2];
  if (/^-?\d+(\.\d+)?$/.test(src)) return Number(src);
  if (src === 'sls:stage' || src === 'opt:stage') return ctx.stage;
  if (src === 'opt:region' || src === 'aws:region') return ctx.region;
  if (src === 'aws:accountId') return ctx.accountId;
  if (src.startsWith('env:')) return process.env[src.slice(4)] ?? UNRESOLVED;
  if (src.startsWith('self:')) {
    let v: unknown = doc;
    for (const k of src.slice(5).split('.').filter(Boolean)) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
    return v === undefined ? UNRESOLVED : resolveVariables(v, doc, root, ctx, depth + 1);
  }
  const file = src.match(/^file\(([^)]+)\)$/);
  if (file?.[1]) {
    const path = resolve(root, file[1].trim().replace(/^['"]|['"]$/g, ''));
    if (!/\.(json|ya?ml)$/.test(path)) return UNRESOLVED;
    try {
      const text = readFileSync(path, 'utf8');
      const value = path.endsWith('.json') ? JSON.parse(text) : parseYamlWithCfnTags(text);
      return resolveVariables(value, doc, root, ctx, depth + 1);
    } catch {
      return UNRESOLVED;
    }
  }
  return UNRESOLVED;
}

const asObject = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

function tryJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}
