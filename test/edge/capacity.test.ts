// How many channels one distribution's KeyValueStore holds: every channel's largest value (the primary route with
// its origin group pinned, slate on, per-origin paths) for 10,000 channels with realistic names, against the KVS limits: key <= 512 bytes,
// value <= 1 KB, store <= 5 MB (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html).
import { describe, expect, it } from 'vitest';
import { parseRegistry } from '../../functions/domain/registry/index.js';
import { edgeKey, edgeValueString, KVS_MAX_KEY_BYTES, largestEdgeValueString, KVS_MAX_STORE_BYTES, KVS_MAX_VALUE_BYTES } from '../../functions/domain/routing-keys.js';
import { exampleRegistry, registryWithChannels } from './registries.js';

const bytes = (text: string): number => Buffer.byteLength(text, 'utf8');

describe('KeyValueStore capacity', () => {
  it('10,000 channels fit one store even with every value at its largest, every key and value within its limit', () => {
    const registry = registryWithChannels(10_000, { perOrigin: true });
    let total = 0;
    let largestValue = 0;
    const importFile: Array<{ key: string; value: string }> = [];
    for (const channel of registry.channels) {
      const key = edgeKey(channel.id);
      const value = largestEdgeValueString(channel);
      // The pinned primary route names both origins: larger than the standby route, which names one.
      expect(bytes(value)).toBeGreaterThan(bytes(edgeValueString(channel, { route: 'standby', slate: true })!));
      expect(bytes(key)).toBeLessThanOrEqual(KVS_MAX_KEY_BYTES);
      expect(bytes(value)).toBeLessThanOrEqual(KVS_MAX_VALUE_BYTES);
      largestValue = Math.max(largestValue, bytes(value));
      total += bytes(key) + bytes(value);
      importFile.push({ key, value });
    }
    // Realistic, not trivially small: each value names two 60-character origin ids, a slate path and two origin paths.
    expect(total / registry.channels.length).toBeGreaterThan(250);
    // About 355 bytes a channel, 3.55 MB in all: the worst case, every channel on its primary with the slate on.
    // A channel without an origin group, with identical paths, on its primary without slate has no key at all.
    expect(total).toBeLessThan(KVS_MAX_STORE_BYTES);
    // The same data as the store's S3 import file ({"data":[{"key","value"}]}, also limited to 5 MB) fits too.
    expect(bytes(JSON.stringify({ data: importFile }))).toBeLessThan(KVS_MAX_STORE_BYTES);
    expect(largestValue).toBeLessThan(KVS_MAX_VALUE_BYTES / 2);
  });

  it('the registry refuses a channel whose value or key would not fit, naming the channel and the field', () => {
    const base = exampleRegistry().channels[0]!;
    const longSlate = { ...base, edge: { ...base.edge, slatePath: `/slate/${'s'.repeat(1000)}.m3u8` } };
    expect(() => parseRegistry({ channels: [longSlate] }, 'test')).toThrow(/channel "news-1": edge: the KVS value edge:news-1 would be \d+ bytes .* over the 1024-byte limit/);
    const longId = { ...base, id: 'a'.repeat(508) };
    expect(() => parseRegistry({ channels: [longId] }, 'test')).toThrow(/channel "a{508}": id: .*507/);
    expect(parseRegistry({ channels: [{ ...base, id: 'a'.repeat(507) }] }, 'test').channels[0]!.id).toHaveLength(507);
  });
});
