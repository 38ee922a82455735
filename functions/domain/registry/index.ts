// The channel registry as Lambda handlers load it: JSON, compiled from the stage's config/registry.<stage>.yml
// when the stack is packaged (deploy/registry-json.ts) or derived by the sandbox. JSON.parse is built in, so
// the YAML parser (~110 KB minified) stays out of every bundle; the YAML source is read by ./file.ts, which
// only the tools import (deploy, the CLI, the sandbox, the edge build).
import { readFileSync } from 'node:fs';
import type * as z from '../zod.js';
import { RegistryError, UnknownChannelError } from '../errors.js';
import { cloudFrontQuotaIssues, type CloudFrontQuotas } from './quotas.js';
import { RegistrySchema, type Channel, type OriginConfig, type Registry } from './schema.js';

export * from './schema.js';
export * from './quotas.js';

/** Where packaging puts the compiled registry of a stage, relative to the service dir (and inside every zip). */
export const compiledRegistryFile = (stage: string): string => `dist/registry.${stage}.json`;

/** Where handlers find the registry: FLATLINE_REGISTRY (a JSON path) or the stage's compiled file. */
export function registryPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.FLATLINE_REGISTRY) return env.FLATLINE_REGISTRY;
  return compiledRegistryFile(env.FLATLINE_STAGE ?? 'example');
}

/** Validates a parsed registry document; every issue names the channel and the field. */
export function parseRegistry(doc: unknown, source = 'registry'): Registry {
  const result = RegistrySchema.safeParse(doc);
  if (!result.success) throw new RegistryError(`${source} is invalid:\n${describeIssues(doc, result.error.issues)}`, { source });
  return result.data;
}

/**
 * Refuses a registry whose channels need more of a distribution than CloudFront's quotas allow (./quotas.ts):
 * checked where the deployment's quotas are known (deploy/context.ts), never by the handlers.
 */
export function checkCloudFrontQuotas(registry: Registry, quotas: CloudFrontQuotas, source = 'registry'): void {
  const issues = cloudFrontQuotaIssues(registry, quotas);
  if (issues.length > 0) {
    throw new RegistryError(`${source} does not fit CloudFront's quotas:\n${describeIssues(registry, issues)}`, { source, quotas });
  }
}

function describeIssues(doc: unknown, issues: ReadonlyArray<Pick<z.core.$ZodIssue, 'path' | 'message'>>): string {
  const channels = (doc as { channels?: unknown[] } | null)?.channels;
  return issues
    .map((issue) => {
      const [head, index, ...rest] = issue.path;
      if (head === 'channels' && typeof index === 'number') {
        const raw = Array.isArray(channels) ? (channels[index] as { id?: unknown } | undefined) : undefined;
        const name = typeof raw?.id === 'string' ? `"${raw.id}"` : `#${index + 1}`;
        return `  channel ${name}: ${rest.join('.') || '(channel)'}: ${issue.message}`;
      }
      return `  ${issue.path.join('.') || '(root)'}: ${issue.message}`;
    })
    .join('\n');
}

/** The text of a registry file; a RegistryError names the path when it cannot be read. */
export function readRegistryText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new RegistryError(`cannot read registry ${path}: ${(err as Error).message}`, { path });
  }
}

/** Reads and validates a compiled (JSON) registry. */
export function readCompiledRegistry(path: string): Registry {
  const text = readRegistryText(path);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new RegistryError(
      `registry ${path} is not JSON (${(err as Error).message}): handlers load the registry compiled from config/registry.<stage>.yml, which \`serverless package\` writes to ${compiledRegistryFile('<stage>')}`,
      { path },
    );
  }
  return parseRegistry(doc, path);
}

const cache = new Map<string, Registry>();

/** Loads (once per process, i.e. once per Lambda cold start) the compiled registry at `path`. */
export function loadRegistry(path = registryPath()): Registry {
  let registry = cache.get(path);
  if (!registry) {
    registry = readCompiledRegistry(path);
    cache.set(path, registry);
  }
  return registry;
}

export function findChannel(registry: Registry, channelId: string): Channel | undefined {
  return registry.channels.find((c) => c.id === channelId);
}

export function getChannel(registry: Registry, channelId: string): Channel {
  const channel = findChannel(registry, channelId);
  if (!channel) throw new UnknownChannelError(channelId);
  return channel;
}

/**
 * The ARN of one side's MediaLive channel in `account`: what IAM grants, event patterns (deploy/arns.ts)
 * and triage's check of incoming events all compare against. Partition aws: the registry's KeyValueStore
 * ARNs are arn:aws: only (EdgeSchema), so a deployment never lives in another partition.
 */
export const mediaLiveChannelArn = (origin: Pick<OriginConfig, 'region' | 'channelId'>, account: string): string =>
  `arn:aws:medialive:${origin.region}:${account}:channel:${origin.channelId}`;

/** The accounts the registry's KeyValueStore ARNs name (arn:aws:cloudfront::<account>:key-value-store/...). */
export const kvsAccounts = (registry: Registry): string[] => [...new Set(registry.channels.map((c) => c.edge.kvsArn.split(':')[4] ?? ''))];

/** Finds the registry channel that owns a MediaLive channel (by region + numeric id), and on which side. */
export function channelByMediaLive(
  registry: Registry,
  region: string,
  mediaLiveChannelId: string,
): { channel: Channel; side: 'primary' | 'standby' } | undefined {
  for (const channel of registry.channels) {
    for (const side of ['primary', 'standby'] as const) {
      if (channel[side].region === region && channel[side].channelId === mediaLiveChannelId) return { channel, side };
    }
  }
  return undefined;
}
