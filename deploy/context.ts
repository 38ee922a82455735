// What every resource generator needs to know about one deployment: the stage, the region the control
// plane lives in, the account, and the validated channel registry (the source of truth for every ARN).
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { readRegistryFile } from '../functions/domain/registry/file.js';
import {
  checkCloudFrontQuotas,
  CLOUDFRONT_DEFAULT_QUOTAS,
  compiledRegistryFile,
  kvsAccounts,
  type CloudFrontQuotas,
  type Registry,
} from '../functions/domain/registry/index.js';
import { FlatlineError } from '../functions/domain/errors.js';
import { DEFAULT_MAX_EVENT_AGE_MS } from '../functions/domain/policy/index.js';

export const SERVICE = 'flatline';
/** The region the control plane is deployed in by default: the standby region, so that it does not depend on the region it protects. */
export const DEFAULT_REGION = 'us-west-2';
/**
 * Target duration assumed for the manifest-age alarm thresholds when serverless.yml does not set
 * custom.flatline.targetDurationSeconds. The registry does not carry it (the probe reads it from every
 * playlist); 6 s is the common HLS segment length (Apple's authoring spec recommends 6 s segments).
 */
export const DEFAULT_TARGET_DURATION_SECONDS = 6;
/** Channels one probe invocation watches by default (x 3 paths x every rendition, every 2 s). */
export const DEFAULT_CHANNELS_PER_PROBE_SHARD = 100;

export interface DeployContext {
  service: string;
  stage: string;
  region: string;
  accountId: string;
  /** The service dir (where serverless.yml is); the paths below are relative to it. */
  serviceDir: string;
  /** The registry's source: config/registry.<stage>.yml. */
  registryFile: string;
  /** The registry compiled to JSON at package time (registry-json.ts): FLATLINE_REGISTRY, and its path inside every Lambda zip. */
  compiledRegistryFile: string;
  registry: Registry;
  targetDurationSeconds: number;
  /** Fleet size one probe invocation watches (the probe's schedule has one event per shard). */
  channelsPerProbeShard: number;
  /** Who owns the edge router's KeyValueStore: this stack ('create') or the user ('registry': edge.kvsArn). */
  edgeStore: EdgeStoreOwner;
  /** IAM roles allowed to put flatline.ops events (failover, failback, drill) on flatline's bus. */
  operatorRoleArns: string[];
  /** Retention of every log group of the stack (a value CloudWatch Logs accepts). */
  logRetentionDays: number;
  /** Triage's FLATLINE_MAX_EVENT_AGE_SECONDS: an older event is evidence, never acted on as news. */
  maxEventAgeSeconds: number;
  /** The account's CloudFront per-distribution quotas the registry was checked against (defaults merged). */
  cloudFrontQuotas: CloudFrontQuotas;
}

export type EdgeStoreOwner = 'create' | 'registry';

/** The deployment configuration is inconsistent (not a registry schema error: those are RegistryError). */
export class DeployConfigError extends FlatlineError {
  constructor(message: string, context: Record<string, unknown> = {}) {
    super('Flatline.DeployConfigError', message, context);
  }
}

export const registryFileFor = (stage: string): string => `config/registry.${stage}.yml`;

export interface DeployContextInput {
  stage: string;
  region?: string;
  /** Overrides the account derived from the registry's KeyValueStore ARNs. */
  accountId?: string;
  targetDurationSeconds?: number;
  edgeStore?: EdgeStoreOwner;
  channelsPerProbeShard?: number;
  operatorRoleArns?: string[];
  logRetentionDays?: number;
  maxEventAgeSeconds?: number;
  /** custom.flatline.cloudFrontQuotas: the account's raised quotas; the others keep AWS's defaults. */
  cloudFrontQuotas?: Partial<Record<keyof CloudFrontQuotas, unknown>>;
  serviceDir?: string;
}

export const DEFAULT_LOG_RETENTION_DAYS = 30;
/** The policy's own default (5 min), so that a stage that does not set it behaves as triage without the variable. */
export const DEFAULT_MAX_EVENT_AGE_SECONDS = DEFAULT_MAX_EVENT_AGE_MS / 1000;
/** The values AWS::Logs::LogGroup RetentionInDays accepts (CloudFormation rejects any other). */
export const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;
const ROLE_ARN = /^arn:aws[\w-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/;

/** Loads and validates the stage's registry; throws RegistryError (naming the channel and field) when invalid. */
export function deployContext(input: DeployContextInput): DeployContext {
  const serviceDir = input.serviceDir ?? process.cwd();
  const registryFile = registryFileFor(input.stage);
  const absolute = resolve(serviceDir, registryFile);
  if (!existsSync(absolute)) {
    throw new DeployConfigError(`stage "${input.stage}" has no channel registry: create ${registryFile} (see config/registry.example.yml)`, {
      stage: input.stage,
      registryFile,
    });
  }
  const registry = readRegistryFile(absolute);
  if (registry.local) {
    // A local registry allows http and loopback manifest URLs (the sandbox's world): nothing to deploy.
    throw new DeployConfigError(`${registryFile}: local: true describes a local world (http / loopback manifest URLs) and cannot be deployed; remove it and use https origins`, {
      stage: input.stage,
      registryFile,
    });
  }
  const targetDurationSeconds = input.targetDurationSeconds ?? DEFAULT_TARGET_DURATION_SECONDS;
  if (!(targetDurationSeconds > 0)) {
    throw new DeployConfigError(`custom.flatline.targetDurationSeconds must be a positive number, got ${targetDurationSeconds}`);
  }
  const channelsPerProbeShard = input.channelsPerProbeShard ?? DEFAULT_CHANNELS_PER_PROBE_SHARD;
  if (!Number.isInteger(channelsPerProbeShard) || channelsPerProbeShard < 1) {
    throw new DeployConfigError(`custom.flatline.channelsPerProbeShard must be a positive integer, got ${channelsPerProbeShard}`);
  }
  const operatorRoleArns = input.operatorRoleArns ?? [];
  for (const arn of operatorRoleArns) {
    if (!ROLE_ARN.test(arn)) throw new DeployConfigError(`custom.flatline.operatorRoleArns: "${arn}" is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)`, { arn });
  }
  const logRetentionDays = input.logRetentionDays ?? DEFAULT_LOG_RETENTION_DAYS;
  if (!(LOG_RETENTION_DAYS as readonly number[]).includes(logRetentionDays)) {
    throw new DeployConfigError(`custom.flatline.logRetentionDays must be one of ${LOG_RETENTION_DAYS.join(', ')}, got ${logRetentionDays}`);
  }
  const cloudFrontQuotas = quotasFrom(input.cloudFrontQuotas ?? {});
  checkCloudFrontQuotas(registry, cloudFrontQuotas, registryFile);
  const maxEventAgeSeconds = input.maxEventAgeSeconds ?? DEFAULT_MAX_EVENT_AGE_SECONDS;
  if (!(Number.isFinite(maxEventAgeSeconds) && maxEventAgeSeconds > 0)) {
    throw new DeployConfigError(`custom.flatline.maxEventAgeSeconds must be a positive number of seconds, got ${maxEventAgeSeconds}`);
  }
  return {
    service: SERVICE,
    stage: input.stage,
    region: input.region ?? DEFAULT_REGION,
    accountId: input.accountId || accountFromRegistry(registry, registryFile),
    serviceDir,
    registryFile,
    compiledRegistryFile: compiledRegistryFile(input.stage),
    registry,
    targetDurationSeconds,
    edgeStore: input.edgeStore ?? 'create',
    channelsPerProbeShard,
    operatorRoleArns,
    logRetentionDays,
    maxEventAgeSeconds,
    cloudFrontQuotas,
  };
}

/** The stage's declared quotas over AWS's defaults; each must be a positive integer. */
function quotasFrom(declared: Partial<Record<keyof CloudFrontQuotas, unknown>>): CloudFrontQuotas {
  const quotas: CloudFrontQuotas = { ...CLOUDFRONT_DEFAULT_QUOTAS };
  for (const [name, value] of Object.entries(declared)) {
    if (!(name in quotas)) {
      throw new DeployConfigError(`custom.flatline.cloudFrontQuotas.${name} is not a quota flatline checks (${Object.keys(quotas).join(', ')})`);
    }
    if (value === undefined || value === null) continue;
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new DeployConfigError(`custom.flatline.cloudFrontQuotas.${name} must be a positive integer, got ${JSON.stringify(value)}`);
    quotas[name as keyof CloudFrontQuotas] = n;
  }
  return quotas;
}

/**
 * The account that owns the channels, distributions and stores. The registry names it in every KVS ARN
 * (arn:aws:cloudfront::<account>:key-value-store/...); deriving it keeps `serverless package` offline
 * (no STS call) and the generated ARNs literal, so tests and the sandbox see exactly what AWS gets.
 */
export function accountFromRegistry(registry: Registry, source: string): string {
  const accounts = kvsAccounts(registry);
  if (accounts.length !== 1) {
    throw new DeployConfigError(`${source}: the channels' edge.kvsArn name ${accounts.length} accounts (${accounts.join(', ')}); set custom.flatline.accountId`, {
      source,
    });
  }
  return accounts[0]!;
}
