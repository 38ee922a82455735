// Runs the real Lambda handler modules in-process: "functions/triage/handler.handler" imports
// functions/triage/handler.ts (tsx / vitest load TypeScript) and calls its `handler` export with the
// event and a Lambda-shaped context, in the function's own environment with credentials of the invocation's
// own (lambda-env.ts).
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import type { FunctionConfig } from '../../deploy/serverless-config.js';
import { hostEnvironment, invocationEnvironment, runWithEnv, type InvocationAccess } from './lambda-env.js';
import { ACCOUNT_ID } from './wire.js';

type LambdaHandler = (event: unknown, context: Context) => unknown;

export interface Invocation {
  functionKey: string;
  requestId: string;
  startedAt: number;
  endedAt: number;
  ok: boolean;
  /** A cold start: the init (ms) this invocation waited before its handler ran. */
  initMs?: number;
  error?: { name: string; message: string };
}

export interface LambdaRuntimeOptions {
  /** End an invocation at its configured timeout with Sandbox.Timedout, as Lambda does. */
  enforceTimeouts?: boolean;
  /**
   * The init (ms) the first invocation of each function waits, e.g. the world model's bundled require() time.
   * Not the in-process import time: tsx compiling TypeScript under load is far slower than a bundle's init.
   */
  coldStartMs?: (functionKey: string) => number;
  /** Issues each invocation's credentials and revokes them at its timeout (the sandbox's endpoints check them). */
  access?: InvocationAccess;
  /** What the sandbox gives the functions: endpoints, region, and its values of the names the deploy fills in. */
  sandboxEnv?: () => Record<string, string>;
}

/** The error Lambda reports for an invocation that ran out of time (Step Functions sees it as the error name). */
export class LambdaTimeoutError extends Error {
  constructor(functionKey: string, seconds: number) {
    super(`${functionKey}: Task timed out after ${seconds.toFixed(2)} seconds`);
    this.name = 'Sandbox.Timedout';
  }
}

export class LambdaRuntime {
  private readonly modules = new Map<string, Promise<LambdaHandler>>();
  private readonly warm = new Set<string>();
  /** Variables serverless.yml declares for some function: the others never see them. */
  private readonly declared: ReadonlySet<string>;
  readonly invocations: Invocation[] = [];

  constructor(
    private readonly root: string,
    private readonly functions: Record<string, FunctionConfig>,
    private readonly ctx: { stage: string; region: string; service: string },
    private readonly opts: LambdaRuntimeOptions = {},
  ) {
    this.declared = new Set(Object.values(functions).flatMap((f) => Object.keys(f.environment ?? {})));
  }

  /** The environment an invocation of the function starts with (credentials: that invocation's). */
  environment(functionKey: string, credentials: Record<string, string> = {}): NodeJS.ProcessEnv {
    const fn = this.functions[functionKey];
    if (!fn) throw new Error(`sandbox: no function "${functionKey}" in serverless.yml`);
    return invocationEnvironment({
      functionEnv: fn.environment ?? {},
      declaredAnywhere: this.declared,
      sandbox: this.opts.sandboxEnv?.() ?? {},
      // Never the calling invocation's: an invocation started from within another gets its own function's.
      host: hostEnvironment(),
      runtime: credentials,
    });
  }

  has(functionKey: string): boolean {
    return functionKey in this.functions;
  }

  keys(): string[] {
    return Object.keys(this.functions);
  }

  /** The function's async-invoke maximumRetryAttempts from serverless.yml, if set. */
  maxRetries(functionKey: string): number | undefined {
    return this.functions[functionKey]?.maximumRetryAttempts;
  }

  /** Invokes a function synchronously (RequestResponse); errors propagate with their name. */
  async invoke(functionKey: string, event: unknown): Promise<unknown> {
    const fn = this.functions[functionKey];
    if (!fn) throw new Error(`sandbox: no function "${functionKey}" in serverless.yml`);
    const handler = await this.load(fn);
    const requestId = randomUUID();
    const startedAt = Date.now();
    const context = fakeContext(fn, requestId, startedAt, this.ctx);
    const credentials = this.opts.access?.issue();
    const env = this.environment(functionKey, credentials ? { ...credentials } : {});
    let timer: NodeJS.Timeout | undefined;
    let initMs: number | undefined;
    try {
      // The init (cold start) counts against the timeout, as it does for the first invocation in Lambda.
      const run = runWithEnv(env, async () => {
        if (this.opts.coldStartMs && !this.warm.has(functionKey)) {
          this.warm.add(functionKey);
          initMs = this.opts.coldStartMs(functionKey);
          await new Promise((r) => setTimeout(r, initMs));
        }
        return handler(event, context);
      });
      // Ended at the timeout: the caller sees Sandbox.Timedout. The handler's promise cannot be killed in-process,
      // so its credentials are revoked: whatever it still sends, no service accepts. Lambda also resets a timed-out
      // execution environment: the next invocation pays the init again
      // (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html#runtimes-lifecycle-invoke-with-errors).
      const result = this.opts.enforceTimeouts
        ? await Promise.race([
            run,
            new Promise<never>((_, reject) => {
              timer = setTimeout(() => {
                if (credentials) this.opts.access?.revoke(credentials.AWS_ACCESS_KEY_ID, `${functionKey} invocation ${requestId} timed out after ${fn.timeoutSeconds} s`);
                this.warm.delete(functionKey);
                reject(new LambdaTimeoutError(functionKey, fn.timeoutSeconds));
              }, fn.timeoutSeconds * 1000);
            }),
          ])
        : await run;
      this.invocations.push({ functionKey, requestId, startedAt, endedAt: Date.now(), ok: true, ...(initMs !== undefined ? { initMs } : {}) });
      return result;
    } catch (err) {
      const e = err as Error;
      this.invocations.push({ functionKey, requestId, startedAt, endedAt: Date.now(), ok: false, ...(initMs !== undefined ? { initMs } : {}), error: { name: e?.name ?? 'Error', message: e?.message ?? String(err) } });
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Imports every handler module now (so the first invocation does not pay the import). */
  async preload(keys = this.keys()): Promise<void> {
    await Promise.all(keys.map((k) => this.load(this.functions[k]!)));
  }

  private load(fn: FunctionConfig): Promise<LambdaHandler> {
    let loading = this.modules.get(fn.key);
    if (!loading) {
      // The init runs in the function's environment (a module may read a variable at import). A module shared
      // by several functions is imported once per process, in the environment of the first that loads it.
      loading = runWithEnv(this.environment(fn.key), () => importHandler(this.root, fn.handler));
      this.modules.set(fn.key, loading);
      loading.catch(() => this.modules.delete(fn.key));
    }
    return loading;
  }
}

async function importHandler(root: string, handler: string): Promise<LambdaHandler> {
  const dot = handler.lastIndexOf('.');
  const modulePath = handler.slice(0, dot);
  const exportName = handler.slice(dot + 1);
  const candidates = ['.ts', '.js', '.mjs'].map((ext) => resolve(root, modulePath + ext));
  const file = candidates.find((c) => existsSync(c));
  if (!file) throw new Error(`sandbox: handler module ${modulePath} not found under ${root}`);
  const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  const fn = mod[exportName];
  if (typeof fn !== 'function') throw new Error(`sandbox: ${file} has no exported function "${exportName}"`);
  return fn as LambdaHandler;
}

function fakeContext(fn: FunctionConfig, requestId: string, startedAt: number, ctx: { stage: string; region: string; service: string }): Context {
  const functionName = `${ctx.service}-${ctx.stage}-${fn.key}`;
  const deadline = startedAt + fn.timeoutSeconds * 1000;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${ctx.region}:${ACCOUNT_ID}:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `sandbox/[$LATEST]${requestId.replace(/-/g, '')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
