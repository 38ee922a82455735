// esbuild plugin of the Lambda bundles (serverless.yml custom.esbuild.plugins, via esbuild-plugins.cjs).
import { readFile } from 'node:fs/promises';
import type { Plugin } from 'esbuild';

/** The generated schema modules of an SDK client (dist-es/schemas/schemas_0.js, ...). */
const SCHEMA_MODULE = /[\\/]@aws-sdk[\\/]client-[^\\/]+[\\/]dist-es[\\/]schemas[\\/]schemas_\d+\.js$/;
/** The module's string table: `const _ht = "http";`. */
const STRING_CONSTANT = /^const (_\w+) = ("(?:[^"\\\n]|\\.)*");$/gm;
/** A trait key written as a computed key of that table: `{ [_ht]: [...] }`. */
const COMPUTED_KEY = /\[(_\w+)\]:/g;

/**
 * The SDK's generated schemas key their traits by string-table constants (`{ [_ht]: ... }`). esbuild keeps
 * every statement with a computed key (the key could run code), and so every schema of the client: MediaLive's
 * DescribeChannel alone would carry all ~700 MediaLive shapes (~130 KB minified, ~30 ms of compile per cold
 * start). Written as the literal strings they are, the unused schemas tree-shake. Hand-written because the
 * fix belongs in the SDK's code generator (smithy-typescript's SchemaTraitWriter) and is not in the SDK
 * versions we pin; the keys stay the same strings, so what the SDK reads is unchanged.
 */
export const sdkSchemaLiteralKeys: Plugin = {
  name: 'flatline-sdk-schema-literal-keys',
  setup(build) {
    build.onLoad({ filter: SCHEMA_MODULE }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      const strings = new Map([...source.matchAll(STRING_CONSTANT)].map(([, name, literal]) => [name!, literal!]));
      const contents = source.replace(COMPUTED_KEY, (key, name: string) => (strings.has(name) ? `${strings.get(name)!}:` : key));
      return { contents, loader: 'js' };
    });
  },
};
