// The registry the Lambda handlers load: the stage's config/registry.<stage>.yml, validated and compiled to
// JSON at package time. The handlers read it with JSON.parse, so the YAML parser (~110 KB minified) is in
// no bundle (functions/domain/registry/index.ts).
import { resolve } from 'node:path';
import { writeCompiledRegistry } from '../functions/domain/registry/file.js';
import type { DeployContext } from './context.js';

/** Writes ctx.compiledRegistryFile (under the service dir) from the validated registry; returns its relative path. */
export function compileRegistry(ctx: Pick<DeployContext, 'serviceDir' | 'compiledRegistryFile' | 'registry'>): string {
  writeCompiledRegistry(ctx.registry, resolve(ctx.serviceDir, ctx.compiledRegistryFile));
  return ctx.compiledRegistryFile;
}
