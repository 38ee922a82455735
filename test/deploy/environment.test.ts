// Every environment variable a function's own code reads is set for that function by serverless.yml
// (provider.environment or the function's environment), set by Lambda itself, or an optional whose default
// the code states: a variable read but never set is a setting nobody can make.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { handlerSource, readServerlessBuild } from '../../deploy/bundle-options.js';
import { FUNCTION_KEYS, type FunctionKey } from '../../deploy/names.js';
import { parseYamlWithCfnTags } from '../../deploy/serverless-config.js';
import { REPO } from './service-dir.js';

/** Set by the Lambda runtime (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime). */
const LAMBDA_RUNTIME = new Set(['AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_LAMBDA_FUNCTION_NAME', 'AWS_LAMBDA_FUNCTION_MEMORY_SIZE', 'AWS_EXECUTION_ENV']);
/** Read with a default in the code and deliberately not set by the stack. */
const OPTIONAL: Record<string, string> = {
  FLATLINE_MODE: "'plan' makes triage start every execution as a dry run; unset = live",
  FLATLINE_FETCH_TIMEOUT_MS: 'per-fetch timeout of checkManifestFresh, 4,000 ms',
  PROBE_SCHEDULE: "the probe's loop, 'deadline' (default) or 'sweep'",
  PROBE_SHARD: "the probe's shard when its event names none, 0/1",
  PROBE_ANNOUNCE_INITIAL_FRESH: 'the probe announces fresh channels on its first sweep; unset = no',
  AWS_ENDPOINT_URL_CLOUDFRONT_KEYVALUESTORE: "the SDK's service endpoint override, set only by the local sandbox",
};

const reads = new Map<FunctionKey, string[]>();
let set: Record<string, Set<string>>;

/** `env.NAME` / `process.env.NAME` / `env['NAME']` in a source text. */
const envReads = (text: string): string[] => [...text.matchAll(/\benv(?:\.([A-Z][A-Z0-9_]*)|\[['"]([A-Z][A-Z0-9_]*)['"]\])/g)].map((m) => (m[1] ?? m[2])!);

beforeAll(async () => {
  const { handlers } = readServerlessBuild(REPO);
  // The flatline sources each handler's bundle is made of (packages left out: their own variables are theirs).
  await Promise.all(
    FUNCTION_KEYS.map(async (key) => {
      const result = await build({ entryPoints: [join(REPO, handlerSource(handlers[key]!))], bundle: true, packages: 'external', platform: 'node', format: 'esm', write: false, metafile: true, logLevel: 'silent' });
      const sources = Object.keys(result.metafile.inputs).filter((f) => f.endsWith('.ts'));
      reads.set(key, [...new Set(sources.flatMap((f) => envReads(readFileSync(join(REPO, f), 'utf8'))))].sort());
    }),
  );
  const sls = parseYamlWithCfnTags(readFileSync(join(REPO, 'serverless.yml'), 'utf8')) as {
    provider: { environment?: Record<string, unknown> };
    functions: Record<string, { environment?: Record<string, unknown> }>;
  };
  const provider = Object.keys(sls.provider.environment ?? {});
  set = Object.fromEntries(FUNCTION_KEYS.map((key) => [key, new Set([...provider, ...Object.keys(sls.functions[key]?.environment ?? {})])]));
}, 120_000);

describe('the environment of every function', () => {
  it('reads variables from source text in every form the code uses', () => {
    expect(envReads("process.env.LEDGER_TABLE ?? ''; env.FLATLINE_MAX_EVENT_AGE_SECONDS; env['NOTIFY_TOPIC_ARN']; environment.X")).toEqual([
      'LEDGER_TABLE',
      'FLATLINE_MAX_EVENT_AGE_SECONDS',
      'NOTIFY_TOPIC_ARN',
    ]);
  });

  for (const key of FUNCTION_KEYS) {
    it(`${key}: every variable its code reads is set by serverless.yml, by Lambda, or optional with a default`, () => {
      const read = reads.get(key)!;
      expect(read.length, key).toBeGreaterThan(0);
      const unset = read.filter((v) => !set[key]!.has(v) && !LAMBDA_RUNTIME.has(v) && !(v in OPTIONAL));
      expect(unset, key).toEqual([]);
    });
  }

  it('triage gets its event-age bound, and the optionals are really read somewhere', () => {
    expect(reads.get('triage')).toContain('FLATLINE_MAX_EVENT_AGE_SECONDS');
    expect(set.triage!.has('FLATLINE_MAX_EVENT_AGE_SECONDS')).toBe(true);
    const everyRead = new Set([...reads.values()].flat());
    for (const name of Object.keys(OPTIONAL)) expect(everyRead.has(name), name).toBe(true);
  });
});
