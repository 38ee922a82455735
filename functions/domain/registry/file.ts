// The registry as files, for the tools (deploy, the CLI, the sandbox, the edge build): the YAML source
// config/registry.<stage>.yml, and the JSON the handlers load (index.ts). Lambda handlers never import this
// module, so the YAML parser stays out of their bundles. YAML 1.2 is a superset of JSON: these readers
// accept a compiled registry too.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { RegistryError } from '../errors.js';
import { parseRegistry, readRegistryText, type Registry } from './index.js';

/** Where the tools find the registry: FLATLINE_REGISTRY or the stage's source file. */
export function registrySourcePath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.FLATLINE_REGISTRY) return env.FLATLINE_REGISTRY;
  return `config/registry.${env.FLATLINE_STAGE ?? 'example'}.yml`;
}

/** Reads and validates a registry file, YAML (or JSON). */
export function readRegistryFile(path: string): Registry {
  const text = readRegistryText(path);
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new RegistryError(`registry ${path} is not valid YAML: ${(err as Error).message}`, { path });
  }
  return parseRegistry(doc, path);
}

/**
 * Writes a validated registry as the JSON the handlers load (defaults filled in, so what a handler sees is
 * spelled out in the file); returns `path`.
 */
export function writeCompiledRegistry(registry: Registry, path: string): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(registry, null, 2)}\n`);
  return path;
}
