// The esbuild options serverless-esbuild derives from serverless.yml's custom.esbuild, for code that bundles
// a handler exactly as `serverless package` does (the cold-start benchmark, the bundle tests).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { BuildOptions, Plugin } from 'esbuild';
import { parseYamlWithCfnTags } from './serverless-config.js';

/** serverless-esbuild's own options, which it strips before calling esbuild (as its bundle step does). */
const PLUGIN_ONLY = ['concurrency', 'zipConcurrency', 'exclude', 'nativeZip', 'packager', 'packagePath', 'watch', 'keepOutputDirectory',
  'packagerOptions', 'installExtraArgs', 'outputFileExtension', 'outputBuildFolder', 'outputWorkFolder', 'nodeExternals', 'skipBuild',
  'skipRebuild', 'skipBuildExcludeFns', 'stripEntryResolveExtensions', 'disposeContext'];

/** Budget of every Lambda bundle: what a cold start loads and compiles (bench/coldstart.bench.ts measures the time). */
export const BUNDLE_BUDGET_BYTES = 800 * 1024;

export interface ServerlessFunctions {
  /** Function key -> handler ("functions/triage/handler.handler"). */
  handlers: Record<string, string>;
  esbuild: BuildOptions;
}

export function readServerlessBuild(serviceDir: string): ServerlessFunctions {
  const doc = parseYamlWithCfnTags(readFileSync(join(serviceDir, 'serverless.yml'), 'utf8')) as {
    functions: Record<string, { handler: string }>;
    custom: { esbuild: Record<string, unknown> };
  };
  const handlers = Object.fromEntries(Object.entries(doc.functions).map(([key, fn]) => [key, fn.handler]));
  return { handlers, esbuild: esbuildOptions(doc.custom.esbuild, serviceDir) };
}

/** custom.esbuild as esbuild options: plugin-only keys dropped, `exclude` made external, `plugins` (a file) required. */
export function esbuildOptions(custom: Record<string, unknown>, serviceDir: string): BuildOptions {
  const { plugins, ...rest } = Object.fromEntries(Object.entries(custom).filter(([k]) => !PLUGIN_ONLY.includes(k)));
  const options = rest as BuildOptions;
  const exclude = (custom.exclude as string[] | undefined) ?? ['aws-sdk'];
  return {
    ...options,
    external: [...(options.external ?? []), ...(exclude.includes('*') ? [] : exclude)],
    ...(typeof plugins === 'string' ? { plugins: createRequire(join(serviceDir, 'package.json'))(join(serviceDir, plugins)) as Plugin[] } : {}),
  };
}

/** The source file of a handler string ("functions/x/handler.handler" -> "functions/x/handler.ts"). */
export const handlerSource = (handler: string): string => handler.replace(/\.[^.]+$/, '.ts');
