// The local CloudFront Functions runtime: runs the EXACT built edge router in node:vm with a `cloudfront`
// module shim that behaves as documented (DG functions-event-structure.html, functions-custom-methods.html,
// helper-functions-origin-modification.html). The drill sandbox's edge calls it for every viewer request.
//
// node:vm cannot link ES modules without --experimental-vm-modules, so the one `import cf from 'cloudfront'`
// statement is blanked (same length, so line:column in stack traces still match the deployed file) and `cf`
// becomes a global of the context. Everything else runs byte for byte, in strict mode like the runtime, in a
// context without timers, network, process or require, and with code generation from strings disabled.
import { AsyncLocalStorage } from 'node:async_hooks';
import { Script, createContext } from 'node:vm';
import { parse } from 'acorn';
import { EdgeFunctionError } from './errors.js';
import type {
  CfKvsHandle,
  CfModule,
  CfOriginGroup,
  CfOriginUpdate,
  CfRequest,
  CfResponse,
  CfValues,
  CfViewerRequestEvent,
} from './runtime-types.js';

/** The KeyValueStore the function reads: a Map the caller owns, or a callback (undefined = missing key; throw = store fault). */
export type KvsSource = ReadonlyMap<string, string> | ((key: string) => string | undefined);

export interface EdgeRouterOptions {
  /** Without a store, `cf.kvs()` throws as it does for a function with no associated KeyValueStore. */
  kvs?: KvsSource;
  /** The distribution's origin ids: when given, selecting another id throws, as an unknown origin would. */
  originIds?: Iterable<string>;
  distributionDomainName?: string;
  distributionId?: string;
  /** Receives the function's console.log lines. */
  log?: (line: string) => void;
}

/** A viewer request, the few fields a caller cares about; the harness fills in the documented event shape. */
export interface EdgeRequest {
  uri: string;
  method?: string;
  /** 'a=1&b=2' or { a: '1' }. */
  querystring?: string | Record<string, string>;
  headers?: Record<string, string>;
  cookies?: Record<string, string>;
  ip?: string;
}

export interface EdgeDecision {
  /** The URI the request goes on with (cache key and origin path). */
  uri: string;
  /** Origin chosen with cf.selectRequestOriginById; null = the behaviour's default (the origin group). */
  originId: string | null;
  /** Parameters of cf.updateRequestOrigin, when called. */
  originUpdate?: CfOriginUpdate;
  /** Parameters of cf.createRequestOriginGroup, when called. */
  originGroup?: CfOriginGroup;
  /** A response generated at the edge (the function returned a response instead of the request). */
  response?: CfResponse;
  /** The function changed the URI. */
  rewritten: boolean;
  /** The request as the function returned it (headers, query string...); absent when it returned a response. */
  request?: CfRequest;
  /** KVS keys the function read, in order (get and exists). */
  kvsReads: string[];
}

export interface EdgeRouter {
  /** Runs the function for one viewer request. Throws EdgeFunctionError when the function fails (CloudFront: 503). */
  handle(request: EdgeRequest): Promise<EdgeDecision>;
}

/** What the `cloudfront` module records during one invocation (one per request, kept apart by AsyncLocalStorage). */
interface Invocation {
  originId: string | null;
  originUpdate?: CfOriginUpdate;
  originGroup?: CfOriginGroup;
  kvsReads: string[];
}


function values(input: Record<string, string> | undefined, lowercase = false): CfValues {
  const out: CfValues = {};
  if (input) for (const [k, v] of Object.entries(input)) out[lowercase ? k.toLowerCase() : k] = { value: v };
  return out;
}

function queryValues(input: EdgeRequest['querystring']): CfValues {
  if (input === undefined) return {};
  if (typeof input !== 'string') return values(input);
  const out: CfValues = {};
  for (const [k, v] of new URLSearchParams(input)) {
    const seen = out[k];
    if (!seen) out[k] = { value: v };
    else (seen.multiValue ??= [{ value: seen.value }]).push({ value: v });
  }
  return out;
}

/** `{ name: { value } }` (the runtime's header shape) -> `{ name: value }`, for an HTTP server answering with a generated response. */
export function flatHeaders(values: CfValues | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (values) for (const [name, v] of Object.entries(values)) out[name] = v.multiValue ? v.multiValue.map((m) => m.value).join(', ') : v.value;
  return out;
}

function isResponse(value: unknown): value is CfResponse {
  return typeof value === 'object' && value !== null && typeof (value as { statusCode?: unknown }).statusCode === 'number';
}

function isRequest(value: unknown): value is CfRequest {
  return typeof value === 'object' && value !== null && typeof (value as { uri?: unknown }).uri === 'string';
}

/** Compiles the built function once; `handle` runs it per request. */
export function loadEdgeRouter(code: string, options: EdgeRouterOptions = {}): EdgeRouter {
  const calls = new AsyncLocalStorage<Invocation>();
  const current = (): Invocation => {
    const invocation = calls.getStore();
    if (!invocation) throw new EdgeFunctionError('the cloudfront module was used outside a request');
    return invocation;
  };
  const originIds = options.originIds ? new Set(options.originIds) : undefined;
  const source = options.kvs;
  const lookup = (key: string): string | undefined => (typeof source === 'function' ? source(key) : source?.get(key));
  const loadedAt = new Date().toISOString();
  // Values handed to the function are made in the context's realm (so `instanceof Uint8Array` etc. hold there).
  let realm: { parse: (text: string) => unknown; bytes: (text: string) => Uint8Array } = {
    parse: (text) => JSON.parse(text) as unknown,
    bytes: (text) => new TextEncoder().encode(text),
  };

  const kvsHandle: CfKvsHandle = {
    // Async so that a throwing source becomes a rejected promise, as a store fault is at the edge.
    get: (async (key: string, opts?: { format?: 'string' | 'json' | 'bytes' }) => {
      current().kvsReads.push(key);
      const value = lookup(key);
      if (value === undefined) throw new Error(`KeyValueStore key not found: ${key}`);
      const format = opts?.format ?? 'string';
      if (format === 'json') return realm.parse(value);
      if (format === 'bytes') return realm.bytes(value);
      if (format !== 'string') throw new TypeError(`unknown format "${String(format)}"`);
      return value;
    }) as CfKvsHandle['get'],
    exists: async (key: string) => {
      current().kvsReads.push(key);
      return lookup(key) !== undefined;
    },
    meta: async () => ({
      creationDateTime: loadedAt,
      lastUpdatedDateTime: loadedAt,
      keyCount: typeof source === 'object' ? source.size : 0,
    }),
  };

  const cf: CfModule = {
    kvs: () => {
      if (!source) throw new Error('no KeyValueStore is associated with this function');
      return kvsHandle;
    },
    selectRequestOriginById: (originId: string) => {
      if (typeof originId !== 'string' || originId === '') throw new TypeError('selectRequestOriginById: an origin id string is required');
      if (originIds && !originIds.has(originId)) throw new Error(`selectRequestOriginById: no origin "${originId}" in the distribution`);
      current().originId = originId;
    },
    updateRequestOrigin: (params: CfOriginUpdate) => {
      if (typeof params !== 'object' || params === null) throw new TypeError('updateRequestOrigin: a parameters object is required');
      current().originUpdate = params;
    },
    createRequestOriginGroup: (params: CfOriginGroup) => {
      const ids = params?.originIds;
      if (!Array.isArray(ids) || ids.length !== 2) throw new TypeError('createRequestOriginGroup: exactly two originIds are required');
      if (!Array.isArray(params.failoverCriteria?.statusCodes)) throw new TypeError('createRequestOriginGroup: failoverCriteria.statusCodes is required');
      for (const member of ids)
        if (originIds && !originIds.has(member.originId)) throw new Error(`createRequestOriginGroup: no origin "${member.originId}" in the distribution`);
      current().originGroup = params;
    },
  };

  // Link the one import to the shim: blank the statement, keep every other byte where it was.
  let program;
  try {
    program = parse(code, { ecmaVersion: 2022, sourceType: 'module' });
  } catch (err) {
    throw new EdgeFunctionError(`the edge function does not parse: ${(err as Error).message}`, { phase: 'load' }, { cause: err });
  }
  let script = code;
  let cfName: string | undefined;
  for (const statement of program.body) {
    if (statement.type === 'ImportDeclaration') {
      const specifier = statement.specifiers[0];
      if (statement.source.value !== 'cloudfront' || statement.specifiers.length !== 1 || specifier?.type !== 'ImportDefaultSpecifier')
        throw new EdgeFunctionError(`the harness provides only \`import cf from 'cloudfront'\`, not "${String(statement.source.value)}"`, { phase: 'load' });
      cfName = specifier.local.name;
      const length = statement.end - statement.start;
      const first = statement === program.body[0] && length >= 13;
      script = script.slice(0, statement.start) + (first ? "'use strict';" : '').padEnd(length) + script.slice(statement.end);
      if (!first) script = `'use strict';${script}`;
    } else if (statement.type.startsWith('Export')) {
      throw new EdgeFunctionError('CloudFront Functions take a top-level `handler` function, not module exports', { phase: 'load' });
    }
  }
  if (!script.startsWith("'use strict';")) script = `'use strict';${script}`;

  const sandbox: Record<string, unknown> = {
    console: {
      log: (...args: unknown[]) => {
        // Documented: comma syntax (several arguments) is not supported.
        if (args.length > 1) throw new TypeError('console.log() takes one argument in CloudFront Functions');
        options.log?.(String(args[0]));
      },
    },
    atob,
    btoa,
    TextEncoder,
    TextDecoder,
  };
  if (cfName) Object.defineProperty(sandbox, cfName, { value: cf, writable: false, enumerable: false });
  const context = createContext(sandbox, { name: 'cloudfront-js-2.0', codeGeneration: { strings: false, wasm: false } });
  try {
    new Script(script, { filename: 'edge-router.js' }).runInContext(context);
  } catch (err) {
    throw new EdgeFunctionError(`the edge function failed to load: ${(err as Error).message}`, { phase: 'load' }, { cause: err });
  }
  const inRealm = new Script('({ JSON: JSON, Uint8Array: Uint8Array })').runInContext(context) as { JSON: JSON; Uint8Array: Uint8ArrayConstructor };
  const encoder = new TextEncoder();
  realm = { parse: (text) => inRealm.JSON.parse(text) as unknown, bytes: (text) => inRealm.Uint8Array.from(encoder.encode(text)) };
  const handler = (context as { handler?: unknown }).handler;
  if (typeof handler !== 'function') throw new EdgeFunctionError('the edge function has no top-level `function handler(event)`', { phase: 'load' });
  const run = handler as (event: CfViewerRequestEvent) => unknown;

  let requests = 0;
  return {
    async handle(req: EdgeRequest): Promise<EdgeDecision> {
      const method = req.method ?? 'GET';
      const hostEvent: CfViewerRequestEvent = {
        version: '1.0',
        context: {
          distributionDomainName: options.distributionDomainName ?? 'd111111abcdef8.cloudfront.net',
          distributionId: options.distributionId ?? 'EDFDVBD6EXAMPLE',
          eventType: 'viewer-request',
          requestId: `flatline-edge-${++requests}`,
        },
        viewer: { ip: req.ip ?? '127.0.0.1' },
        request: {
          method,
          uri: req.uri,
          querystring: queryValues(req.querystring),
          headers: values(req.headers, true),
          cookies: values(req.cookies),
        },
      };
      // Built in the context's realm, as the runtime hands the function its own objects.
      const event = realm.parse(JSON.stringify(hostEvent)) as CfViewerRequestEvent;
      const invocation: Invocation = { originId: null, kvsReads: [] };
      let result: unknown;
      try {
        result = await calls.run(invocation, () => run(event));
      } catch (err) {
        throw new EdgeFunctionError(`the edge function threw on ${method} ${req.uri}: ${(err as Error).message}`, { uri: req.uri }, { cause: err });
      }
      const recorded = { originId: invocation.originId, originUpdate: invocation.originUpdate, originGroup: invocation.originGroup, kvsReads: invocation.kvsReads };
      if (isResponse(result)) return { ...recorded, uri: req.uri, response: result, rewritten: false };
      if (!isRequest(result)) throw new EdgeFunctionError(`the edge function returned neither a request nor a response for ${req.uri}`, { uri: req.uri });
      if (result.method !== method) throw new EdgeFunctionError('the edge function changed the request method (not allowed)', { uri: req.uri });
      if (!result.uri.startsWith('/')) throw new EdgeFunctionError(`the edge function returned an invalid uri "${result.uri}"`, { uri: req.uri });
      return { ...recorded, uri: result.uri, rewritten: result.uri !== req.uri, request: result };
    },
  };
}
