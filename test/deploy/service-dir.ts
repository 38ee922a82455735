// Runs the real `serverless package` (osls + serverless-esbuild + serverless-step-functions) on a throwaway
// service directory: the repo's code linked in, serverless.yml copied (osls wants a real file), and a
// config/ of its own so a test can package any registry without touching the repo's config/ or .serverless/.
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(fileURLToPath(new URL('../..', import.meta.url)));
/** Everything of the repo is linked in except what a run writes or what the test provides itself. */
const NOT_LINKED = new Set(['serverless.yml', 'config', 'dist', '.serverless', '.esbuild', '.git']);
const SERVERLESS_BIN = join(REPO, 'node_modules', 'osls', 'bin', 'serverless.js');

export interface ServiceDir {
  dir: string;
  /** Where `package` writes its artifacts (--package). */
  out: string;
  cleanup(): void;
}

/** A service dir whose config/registry.<stage>.yml holds `registryYaml` (default: the example registry). */
export function makeServiceDir(stage: string, registryYaml?: string): ServiceDir {
  const dir = mkdtempSync(join(tmpdir(), 'flatline-sls-'));
  for (const entry of readdirSync(REPO)) if (!NOT_LINKED.has(entry)) symlinkSync(join(REPO, entry), join(dir, entry));
  copyFileSync(join(REPO, 'serverless.yml'), join(dir, 'serverless.yml'));
  mkdirSync(join(dir, 'config'));
  const registryFile = join(dir, 'config', `registry.${stage}.yml`);
  if (registryYaml === undefined) copyFileSync(join(REPO, 'config', 'registry.example.yml'), registryFile);
  else writeFileSync(registryFile, registryYaml);
  return { dir, out: join(dir, 'out'), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface RunResult {
  code: number | null;
  output: string;
}

/** `serverless <args>` in `dir`, offline, with dummy credentials. */
export function runServerless(dir: string, args: string[]): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [SERVERLESS_BIN, ...args], {
      cwd: dir,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: dir,
        SLS_TELEMETRY_DISABLED: '1',
        SLS_NOTIFICATIONS_MODE: 'off',
        AWS_ACCESS_KEY_ID: 'x',
        AWS_SECRET_ACCESS_KEY: 'x',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code, output }));
  });
}

/**
 * n copies of a registry channel, each with MediaLive channels and an origin group of its own: 11 of them
 * need more origin groups than CloudFront's default quota of 10 per distribution.
 */
export function channelsWithOwnOriginGroups<C extends Record<string, Record<string, unknown>>>(template: C, n: number): C[] {
  return Array.from({ length: n }, (_, i) => ({
    ...template,
    id: `ch-${i}` as unknown as Record<string, unknown>,
    primary: { ...template.primary, channelId: String(3_000_000 + i) },
    standby: { ...template.standby, channelId: String(4_000_000 + i) },
    edge: { ...template.edge, originGroupId: `og-ch-${i}` },
  }));
}
