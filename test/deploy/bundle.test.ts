// A handler bundled exactly as `serverless package` bundles it (serverless.yml's custom.esbuild options and
// plugins) still validates input with readable English messages and loads
// the compiled registry from FLATLINE_REGISTRY: the bundle options do not break the code they ship. And every
// function's bundle stays within the size budget (bench/coldstart.bench.ts measures what it costs to load).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

// What deploy/sdk-schema-keys.ts rewrites (the SDK clients' generated schemas) is what the SDK (de)serializes
// with: a client bundled with serverless.yml's options reads and writes exactly what the SDK itself does.
const SDK_ROUND_TRIP = `
import { Readable } from 'node:stream';
import { DescribeChannelCommand, MediaLiveClient } from '@aws-sdk/client-medialive';
import { CloudFrontClient, GetDistributionConfigCommand, UpdateDistributionCommand } from '@aws-sdk/client-cloudfront';

const channel = JSON.stringify({
  id: '1234567', state: 'RUNNING', pipelinesRunningCount: 2, tags: { flatline: 'standby' },
  encoderSettings: { timecodeConfig: { source: 'EMBEDDED' }, audioDescriptions: [{ audioSelectorName: 'a', name: 'b' }] },
  destinations: [{ id: 'd', settings: [{ url: 'https://example.com/in' }] }],
});
const distributionConfig = '<?xml version="1.0"?><DistributionConfig xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/">' +
  '<CallerReference>x</CallerReference><Comment>c</Comment><Enabled>true</Enabled>' +
  '<Origins><Quantity>1</Quantity><Items><Origin><Id>mp-a</Id><DomainName>a.example.com</DomainName>' +
  '<CustomOriginConfig><HTTPPort>80</HTTPPort><HTTPSPort>443</HTTPSPort><OriginProtocolPolicy>https-only</OriginProtocolPolicy></CustomOriginConfig></Origin></Items></Origins>' +
  '<OriginGroups><Quantity>1</Quantity><Items><OriginGroup><Id>og</Id><FailoverCriteria><StatusCodes><Quantity>1</Quantity><Items><StatusCode>404</StatusCode></Items></StatusCodes></FailoverCriteria>' +
  '<Members><Quantity>2</Quantity><Items><OriginGroupMember><OriginId>mp-a</OriginId></OriginGroupMember><OriginGroupMember><OriginId>mp-b</OriginId></OriginGroupMember></Items></Members></OriginGroup></Items></OriginGroups>' +
  '<DefaultCacheBehavior><TargetOriginId>mp-a</TargetOriginId><ViewerProtocolPolicy>allow-all</ViewerProtocolPolicy></DefaultCacheBehavior></DistributionConfig>';

export async function roundTrip() {
  const sent = [];
  const answering = (body, headers) => ({
    handle: async (request) => {
      sent.push({ method: request.method, path: request.path, body: request.body ?? null });
      return { response: { statusCode: 200, headers, body: Readable.from([Buffer.from(body)]) } };
    },
  });
  const credentials = { accessKeyId: 'x', secretAccessKey: 'x' };
  const mediaLive = new MediaLiveClient({ region: 'us-west-2', credentials, requestHandler: answering(channel, { 'content-type': 'application/json' }) });
  const { $metadata: _m, ...described } = await mediaLive.send(new DescribeChannelCommand({ ChannelId: '1234567' }));
  const cloudFront = new CloudFrontClient({ region: 'us-east-1', credentials, requestHandler: answering(distributionConfig, { 'content-type': 'text/xml', etag: 'E1' }) });
  const { $metadata: _c, ...config } = await cloudFront.send(new GetDistributionConfigCommand({ Id: 'E2QWRUHEXAMPLE' }));
  await cloudFront.send(new UpdateDistributionCommand({ Id: 'E2QWRUHEXAMPLE', IfMatch: config.ETag, DistributionConfig: config.DistributionConfig }));
  return { described, config, sent };
}
`;

describe('an SDK client, bundled', () => {
  it('reads and writes what the SDK itself does', async () => {
    const { esbuild } = readServerlessBuild(REPO);
    const result = await build({ ...esbuild, stdin: { contents: SDK_ROUND_TRIP, resolveDir: REPO, loader: 'js' }, outfile: join(out, 'sdk.js'), write: true, logLevel: 'silent' });
    expect(result.errors).toEqual([]);
    const bundled = createRequire(join(out, 'x.js'))(join(out, 'sdk.js')) as { roundTrip: () => Promise<unknown> };
    const source = join(out, 'sdk-source.mjs');
    writeFileSync(source, SDK_ROUND_TRIP);
    const unbundled = (await import(source)) as { roundTrip: () => Promise<unknown> };
    const [fromBundle, fromSdk] = [await bundled.roundTrip(), await unbundled.roundTrip()];
    expect(fromBundle).toEqual(fromSdk);
    expect(fromBundle).toMatchObject({ described: { State: 'RUNNING', EncoderSettings: { TimecodeConfig: { Source: 'EMBEDDED' } } }, config: { ETag: 'E1' } });
  }, 60_000);
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
