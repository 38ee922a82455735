// What one Lambda invocation runs with: its function's environment, and credentials of its own that the
// sandbox's endpoints refuse once the invocation has timed out.
//
// Why process.env is scoped by async context: the handlers run in this one process and their invocations
// overlap (a triage invocation, the steps of an execution, the probe's minute-long loop), and a handler reads
// process.env after its awaits too (the SDK reads its credentials and endpoints when it first sends). Setting
// process.env around an invocation would hand one function's variables to another whose await resumes
// meanwhile; serialising every invocation would change what the drill measures (and a probe invocation lasts
// a minute); a worker thread per function would need a TypeScript loader of its own and keep vitest's module
// graph from the handlers. So the sandbox replaces process.env, once, with a view that reads and writes the
// environment of the invocation whose async context is running (AsyncLocalStorage), and the host's
// environment outside any invocation. functions/ is untouched: a handler reads process.env as in Lambda.
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import { AwsServiceError } from './wire.js';

const scope = new AsyncLocalStorage<NodeJS.ProcessEnv>();
let hostEnv: NodeJS.ProcessEnv | undefined;

/** The process's own environment (the tool's or the test's), whatever invocation is running. */
export function hostEnvironment(): NodeJS.ProcessEnv {
  return hostEnv ?? process.env;
}

/** Runs `fn` (and all it starts: promises, timers, sockets) with process.env being `env`. */
export function runWithEnv<T>(env: NodeJS.ProcessEnv, fn: () => T): T {
  installScopedEnv();
  return scope.run(env, fn);
}

function installScopedEnv(): void {
  if (hostEnv) return;
  const host = process.env;
  hostEnv = host;
  const current = (): NodeJS.ProcessEnv => scope.getStore() ?? host;
  process.env = new Proxy(host, {
    get: (_, k) => Reflect.get(current(), k),
    // process.env stores strings only.
    set: (_, k, v) => Reflect.set(current(), k, typeof k === 'string' ? String(v) : v),
    has: (_, k) => Reflect.has(current(), k),
    deleteProperty: (_, k) => Reflect.deleteProperty(current(), k),
    ownKeys: () => Reflect.ownKeys(current()),
    getOwnPropertyDescriptor: (_, k) => Reflect.getOwnPropertyDescriptor(current(), k),
    defineProperty: (_, k, d) => Reflect.defineProperty(current(), k, d),
  });
}

/**
 * The environment of one invocation of a function, as Lambda builds it from serverless.yml:
 * - the function's variables (provider.environment + its own); a value the deploy fills in (`!Ref` ...) is the
 *   sandbox's, when it has one (`sandbox` holds them: LEDGER_TABLE, the state machine ARNs, ...), as are the
 *   endpoints and the region;
 * - the host's variables (PATH, a tool's POWERTOOLS_LOG_LEVEL, the drill's FLATLINE_REGISTRY) win over both: an
 *   operator's override, as the handlers saw them before they had environments of their own;
 * - but a function never sees a variable serverless.yml (or the sandbox, for a name serverless.yml declares)
 *   gives only to other functions, wherever it comes from;
 * - and the invocation's own credentials win over everything.
 */
export function invocationEnvironment(opts: {
  functionEnv: Record<string, string | null>;
  /** Names some function declares. */
  declaredAnywhere: ReadonlySet<string>;
  sandbox: Record<string, string>;
  host: NodeJS.ProcessEnv;
  runtime: Record<string, string>;
}): NodeJS.ProcessEnv {
  const own = (name: string): boolean => name in opts.functionEnv || !opts.declaredAnywhere.has(name);
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(opts.functionEnv)) if (v !== null) env[k] = v;
  for (const [k, v] of Object.entries(opts.sandbox)) if (own(k)) env[k] = v;
  for (const [k, v] of Object.entries(opts.host)) if (v !== undefined && own(k)) env[k] = v;
  // A session token of the host would be sent with the invocation's keys.
  delete env.AWS_SESSION_TOKEN;
  delete env.AWS_PROFILE;
  return { ...env, ...opts.runtime };
}

export interface InvocationCredentials {
  AWS_ACCESS_KEY_ID: string;
  AWS_SECRET_ACCESS_KEY: string;
  AWS_SESSION_TOKEN: string;
}

/**
 * Credentials per invocation, like the temporary credentials Lambda puts in a function's environment. When
 * the sandbox ends an invocation at its timeout it revokes them: whatever the handler's promise still does
 * (it cannot be killed in-process, where Lambda would stop the runtime) reaches no service.
 */
export class InvocationAccess {
  private readonly revoked = new Map<string, string>();

  issue(): InvocationCredentials {
    return { AWS_ACCESS_KEY_ID: `ASIASBX${randomBytes(7).toString('hex').toUpperCase()}`, AWS_SECRET_ACCESS_KEY: 'sandbox', AWS_SESSION_TOKEN: randomBytes(16).toString('hex') };
  }

  revoke(accessKeyId: string, why: string): void {
    this.revoked.set(accessKeyId, why);
  }

  /** The error a request signed with revoked credentials gets (SigV4 or SigV4A Authorization header), if any. */
  refusal(authorization: string | string[] | undefined): AwsServiceError | undefined {
    const header = Array.isArray(authorization) ? authorization[0] : authorization;
    const accessKeyId = header?.match(/Credential=([^/,\s]+)\//)?.[1];
    const why = accessKeyId ? this.revoked.get(accessKeyId) : undefined;
    return why === undefined ? undefined : new AwsServiceError(403, 'ExpiredTokenException', `The security token included in the request is expired (sandbox: ${why})`);
  }
}
