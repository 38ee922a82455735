import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readRegistryFile, registrySourcePath, writeCompiledRegistry } from '../../functions/domain/registry/file.js';
import { channelByMediaLive, getChannel, loadRegistry, parseRegistry, registryPath } from '../../functions/domain/registry/index.js';
import { RegistryError } from '../../functions/domain/errors.js';

const EXAMPLE = 'config/registry.example.yml';
const example = () => readRegistryFile(EXAMPLE);
const scratch = mkdtempSync(join(tmpdir(), 'flatline-registry-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('channel registry', () => {
  it('loads the example with a warm, a cold and an automatic-failback channel', () => {
    const r = example();
    expect(r.channels.map((c) => c.id)).toEqual(['news-1', 'sports-1', 'kids-1']);
    expect(getChannel(r, 'news-1').standby.mode).toBe('warm');
    expect(getChannel(r, 'sports-1').standby.mode).toBe('cold');
    expect(getChannel(r, 'kids-1').policy.failback).toBe('automatic');
    expect(getChannel(r, 'news-1').policy.staleAfterTargetDurations).toBe(1.5);
  });

  it('finds a channel by its MediaLive region and id, on either side', () => {
    const r = example();
    expect(channelByMediaLive(r, 'us-west-2', '8765432')).toMatchObject({ side: 'standby', channel: { id: 'sports-1' } });
    expect(channelByMediaLive(r, 'us-west-2', '1234567')).toBeUndefined();
  });

  it('names the channel and the field of every schema error', () => {
    const doc = structuredClone(example()) as unknown as { channels: Array<Record<string, Record<string, unknown>>> };
    doc.channels[1]!.standby!.region = 'us-east-1';
    doc.channels[2]!.edge!.kvsArn = 'not-an-arn';
    expect(() => parseRegistry(doc)).toThrow(RegistryError);
    try {
      parseRegistry(doc);
    } catch (err) {
      expect((err as Error).message).toContain('channel "sports-1": standby.region: must differ from primary.region');
      expect((err as Error).message).toContain('channel "kids-1": edge.kvsArn');
    }
  });

  it('rejects duplicate ids and unknown fields', () => {
    const r = example();
    expect(() => parseRegistry({ channels: [r.channels[0], r.channels[0]] })).toThrow(/"news-1": id: duplicate/);
    expect(() => parseRegistry({ channels: [{ ...r.channels[0], colour: 'red' }] })).toThrow(/channel "news-1": .*colour/);
  });

  it('declares media-quality-based origin selection (MQAR) only between two MediaPackage v2 origins', () => {
    const kids = getChannel(example(), 'kids-1');
    expect(kids.edge.originSelection).toBe('media-quality-based');
    expect(getChannel(example(), 'news-1').edge.originSelection).toBe('default');
    const v1 = { ...kids, standby: { ...kids.standby, mediaPackage: 'v1' } };
    expect(() => parseRegistry({ channels: [v1] })).toThrow(/channel "kids-1": standby\.mediaPackage: must be v2 when edge\.originSelection is media-quality-based/);
    expect(parseRegistry({ channels: [{ ...v1, edge: { ...kids.edge, originSelection: 'default' } }] }).channels[0]!.standby.mediaPackage).toBe('v1');
    expect(() => parseRegistry({ channels: [{ ...kids, edge: { ...kids.edge, originSelection: 'best' } }] })).toThrow(/channel "kids-1": edge\.originSelection/);
  });
});

describe('the registry the handlers load', () => {
  it('is the source compiled to JSON: the same channels, defaults filled in', () => {
    const compiled = writeCompiledRegistry(example(), join(scratch, 'dist', 'registry.example.json'));
    expect(loadRegistry(compiled)).toEqual(example());
    expect(getChannel(loadRegistry(compiled), 'news-1').policy.standbyReadySeconds).toBe(600);
  });

  it('refuses the YAML source with an error that names the file and says where the compiled one comes from', () => {
    expect(() => loadRegistry(EXAMPLE)).toThrow(RegistryError);
    expect(() => loadRegistry(EXAMPLE)).toThrow(/registry config\/registry\.example\.yml is not JSON .*serverless package.*dist\/registry\.<stage>\.json/);
  });

  it('is found at FLATLINE_REGISTRY, else at the stage\'s compiled file; the tools read the stage\'s source', () => {
    expect(registryPath({ FLATLINE_REGISTRY: '/tmp/r.json', FLATLINE_STAGE: 'prod' })).toBe('/tmp/r.json');
    expect(registryPath({ FLATLINE_STAGE: 'prod' })).toBe('dist/registry.prod.json');
    expect(registrySourcePath({ FLATLINE_STAGE: 'prod' })).toBe('config/registry.prod.yml');
    expect(registrySourcePath({ FLATLINE_REGISTRY: '/tmp/r.json' })).toBe('/tmp/r.json');
  });
});
