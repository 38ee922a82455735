// A handler bundled exactly as `serverless package` bundles it (serverless.yml's custom.esbuild options,
// including the zod English-only plugin) still validates input with readable English messages and loads
// the registry from FLATLINE_REGISTRY: the bundle options do not break the code they ship.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Context } from 'aws-lambda';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handlerSource, readServerlessBuild } from '../../deploy/bundle-options.js';
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
  process.env.FLATLINE_REGISTRY = join(REPO, 'config', 'registry.example.yml');
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
    // A phrase of zod's German locale, which the plugin leaves out.
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
