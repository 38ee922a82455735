// Cold start of every deployed handler: each function of serverless.yml is bundled the
// way serverless-esbuild does it — esbuild's API with serverless.yml's own custom.esbuild options — and
// measured by bundle size and the time a fresh `node` process takes to require() it (median of several
// processes: module load + init, what a Lambda cold start pays before the handler runs). The peer, side by
// side: the same handler with the AWS SDK left external (loaded from node_modules, as the Lambda runtime's
// bundled SDK would be).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type BuildOptions, type Metafile } from 'esbuild';
import { BUNDLE_BUDGET_BYTES, handlerSource, readServerlessBuild } from '../deploy/bundle-options.js';
import { readRegistryFile, writeCompiledRegistry } from '../functions/domain/registry/file.js';
import type { BenchRow, BenchSection } from './types.js';

const REPO = resolve(fileURLToPath(new URL('..', import.meta.url)));
const SIZE_GOAL_KB = BUNDLE_BUDGET_BYTES / 1024;
const REQUIRE_GOAL_MS = 150;
const RUNS = Number(process.env.BENCH_COLDSTART_RUNS ?? 5);
const SDK_EXTERNAL = ['@aws-sdk/*', '@smithy/*'];

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

interface RequireTime {
  /** Wall-clock ms: what a cold start waits. */
  wallMs: number;
  /** CPU ms (user + system) of the same require(): less sensitive to other processes on a shared machine. */
  cpuMs: number;
}

/** require() time in a fresh process (medians of RUNS); `registry` is the compiled registry the handlers load. */
function requireTime(file: string, registry: string): RequireTime {
  const script =
    `const c=process.cpuUsage(),t=process.hrtime.bigint();require(${JSON.stringify(file)});` +
    `const w=Number(process.hrtime.bigint()-t)/1e6,u=process.cpuUsage(c);process.stdout.write(JSON.stringify([w,(u.user+u.system)/1e3]))`;
  const env = {
    PATH: process.env.PATH ?? '',
    NODE_PATH: join(REPO, 'node_modules'),
    AWS_REGION: 'us-west-2',
    AWS_ACCESS_KEY_ID: 'x',
    AWS_SECRET_ACCESS_KEY: 'x',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    FLATLINE_STAGE: 'example',
    FLATLINE_REGISTRY: registry,
    POWERTOOLS_SERVICE_NAME: 'flatline',
    POWERTOOLS_METRICS_NAMESPACE: 'Flatline',
    LEDGER_TABLE: 'flatline-example-ledger',
    NOTIFY_TOPIC_ARN: 'arn:aws:sns:us-west-2:123456789012:flatline-example-notify',
  };
  const runs = Array.from({ length: RUNS }, () => JSON.parse(execFileSync(process.execPath, ['-e', script], { env, encoding: 'utf8' })) as [number, number]);
  return { wallMs: median(runs.map(([w]) => w)), cpuMs: median(runs.map(([, c]) => c)) };
}

interface Built {
  file: string;
  bytes: number;
  metafile: Metafile;
}

async function bundle(entry: string, outdir: string, options: BuildOptions): Promise<Built> {
  const result = await build({ ...options, entryPoints: [entry], outdir, metafile: true, logLevel: 'silent', write: true });
  const [file, output] = Object.entries(result.metafile.outputs).find(([f]) => f.endsWith('.js'))!;
  return { file: resolve(file), bytes: output.bytes, metafile: result.metafile };
}

/** The packages that weigh most in a bundle, for the notes. */
function heaviest(metafile: Metafile, n: number): string {
  const byPackage = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const name = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1] ?? 'flatline';
      byPackage.set(name, (byPackage.get(name) ?? 0) + bytesInOutput);
    }
  }
  return [...byPackage.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([name, bytes]) => `${name} ${Math.round(bytes / 1024)} KB`)
    .join(', ');
}

const kb = (bytes: number): number => Math.round(bytes / 102.4) / 10;

export async function run(): Promise<BenchSection> {
  const { handlers, esbuild: options } = readServerlessBuild(REPO);
  const out = mkdtempSync(join(tmpdir(), 'flatline-coldstart-'));
  const rows: BenchRow[] = [];
  const notes: string[] = [
    `esbuild options from serverless.yml custom.esbuild: ${JSON.stringify({ ...options, plugins: options.plugins?.map((p) => p.name) })}; require() = median of ${RUNS} fresh node processes (wall clock; CPU = user + system) (Node ${process.versions.node})`,
  ];
  let largest: { key: string; built: Built } | undefined;
  try {
    const registry = writeCompiledRegistry(readRegistryFile(join(REPO, 'config', 'registry.example.yml')), join(out, 'registry.json'));
    for (const [key, handler] of Object.entries(handlers)) {
      const entry = join(REPO, handlerSource(handler));
      if (!existsSync(entry)) {
        notes.push(`${key}: ${handler} not found, not measured`);
        continue;
      }
      const deployed = await bundle(entry, join(out, key, 'deployed'), options);
      const peer = await bundle(entry, join(out, key, 'sdk-external'), { ...options, external: [...(options.external ?? []), ...SDK_EXTERNAL] });
      const [deployedTime, peerTime] = [requireTime(deployed.file, registry), requireTime(peer.file, registry)];
      const [deployedMs, peerMs] = [deployedTime.wallMs, peerTime.wallMs];
      if (!largest || deployed.bytes > largest.built.bytes) largest = { key, built: deployed };
      rows.push({
        name: `${key}: bundle size`,
        value: kb(deployed.bytes),
        unit: 'KB',
        ratio: `SDK external: ${kb(peer.bytes)} KB + node_modules`,
        goal: `< ${SIZE_GOAL_KB} KB`,
        pass: deployed.bytes < SIZE_GOAL_KB * 1024,
      });
      rows.push({
        name: `${key}: require()`,
        value: Math.round(deployedMs * 10) / 10,
        unit: 'ms',
        ratio: `CPU ${deployedTime.cpuMs.toFixed(0)} ms; SDK external: ${peerMs.toFixed(1)} ms (${(peerMs / deployedMs).toFixed(2)}x)`,
        goal: `< ${REQUIRE_GOAL_MS} ms`,
        pass: deployedMs < REQUIRE_GOAL_MS,
      });
    }
    if (largest) notes.push(`heaviest inputs of the largest bundle (${largest.key}): ${heaviest(largest.built.metafile, 6)}`);
    // require() times scale with the machine's load (2 cores shared): say what it was.
    notes.push(`load average during the run: ${loadavg().map((l) => l.toFixed(1)).join(' / ')} on ${cpus().length} CPUs`);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
  return { title: 'Cold start of the bundled handlers (serverless-esbuild options, SDK bundled) vs the SDK left external', rows, notes };
}
