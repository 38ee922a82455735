// A handler bundled exactly as `serverless package` bundles it (serverless.yml's custom.esbuild options and
// plugins) still validates input with readable English messages and loads
// the compiled registry from FLATLINE_REGISTRY: the bundle options do not break the code they ship. And every
// function's bundle stays within the size budget (bench/coldstart.bench.ts measures what it costs to load).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Context } from 'aws-lambda';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLE_BUDGET_BYTES, handlerSource, readServerlessBuild } from '../../deploy/bundle-options.js';
import { readRegistryFile, writeCompiledRegistry } from '../../functions/domain/registry/file.js';
import { REPO } from './service-dir.js';

type Handler = (event: unknown, context: Context) => Promise<unknown>;
const context = {
  functionName: 'flatline-example-notify',
  awsRequestId: 'test-request',
  getRemainingTimeInMillis: () => 30_000,
} as unknown as Context;

let out: string;
let handler: Handler;
let bundleText: string;
const savedRegistry = process.env.FLATLINE_REGISTRY;

beforeAll(async () => {
  const { handlers, esbuild } = readServerlessBuild(REPO);
  out = mkdtempSync(join(tmpdir(), 'flatline-bundle-'));
  const result = await build({ ...esbuild, entryPoints: [join(REPO, handlerSource(handlers.notify!))], outdir: out, write: true, metafile: true, logLevel: 'silent' });
  const file = Object.keys(result.metafile.outputs).find((f) => f.endsWith('.js'))!;
  bundleText = readFileSync(join(REPO, file), 'utf8');
  process.env.FLATLINE_REGISTRY = writeCompiledRegistry(readRegistryFile(join(REPO, 'config', 'registry.example.yml')), join(out, 'registry.json'));
  handler = (createRequire(join(out, 'x.js'))(join(REPO, file)) as { handler: Handler }).handler;
}, 60_000);

afterAll(() => {
  if (savedRegistry === undefined) delete process.env.FLATLINE_REGISTRY;
  else process.env.FLATLINE_REGISTRY = savedRegistry;
  rmSync(out, { recursive: true, force: true });
});

describe('a bundled step handler', () => {
  it('carries zod with English messages only', () => {
    expect(bundleText).toContain('Invalid option');
    // A phrase of zod's German locale: zod/mini brings only the English one (functions/domain/zod.ts).
    expect(bundleText).not.toContain('Ungültige Eingabe');
  });

  it('rejects invalid input with a named error whose message names the field', async () => {
    const event = { channelId: 'news-1', incidentId: 'i-1', action: 'sideways', outcome: 'succeeded', onAir: 'standby' };
    const err = (await handler(event, context).catch((e: unknown) => e)) as Error;
    expect(err.name).toBe('Flatline.InvalidInput');
    expect(err.message).toMatch(/Invalid option/);
    expect(err.message).toContain('action');
  });

  it('loads the packaged registry and refuses a channel it does not name', async () => {
    const event = { channelId: 'no-such-channel', incidentId: 'i-1', action: 'failover', outcome: 'succeeded', onAir: 'standby' };
    const err = (await handler(event, context).catch((e: unknown) => e)) as Error;
    expect(err.name).toBe('Flatline.UnknownChannel');
    expect(err.message).toContain('no-such-channel');
  });
});

describe('every function of serverless.yml, bundled', () => {
  it(`fits the bundle budget (${BUNDLE_BUDGET_BYTES / 1024} KB) and carries no YAML parser`, async () => {
    const { handlers, esbuild } = readServerlessBuild(REPO);
    const entryPoints = Object.fromEntries(Object.entries(handlers).map(([key, handler]) => [key, join(REPO, handlerSource(handler))]));
    const result = await build({ ...esbuild, entryPoints, outdir: join(out, 'all'), write: false, metafile: true, logLevel: 'silent' });
    const outputs = Object.values(result.metafile.outputs).filter((o) => o.entryPoint);
    expect(outputs).toHaveLength(Object.keys(handlers).length);
    const over = outputs.filter((o) => o.bytes >= BUNDLE_BUDGET_BYTES).map((o) => `${o.entryPoint!}: ${Math.round(o.bytes / 1024)} KB`);
    expect(over, 'bundles over the budget').toEqual([]);
    // The handlers load the registry compiled to JSON (functions/domain/registry/index.ts).
    const withYaml = outputs.filter((o) => Object.keys(o.inputs).some((i) => i.includes('node_modules/yaml/'))).map((o) => o.entryPoint);
    expect(withYaml, 'bundles with the YAML parser').toEqual([]);
  }, 120_000);
});
