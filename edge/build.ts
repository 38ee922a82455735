// Builds the deployable edge router: bundles edge/router.ts with esbuild (the `cloudfront` module external),
// minifies it and validates the output against the runtime 2.0 limits. The function carries no channel data
// (it reads everything per channel from the KeyValueStore), so the build takes no registry and one build
// serves any number of channels.
//
//   node --import tsx edge/build.ts --out edge/dist/router.js
//
// Two esbuild passes because CloudFront calls a top-level function named `handler`: pass 1 bundles as an ES
// module (the router exports `handler` so tree shaking keeps it); the import/export statements are then cut out
// (located with acorn, not by text) and pass 2 minifies the body as a script, where top-level names are kept.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { parse } from 'acorn';
import { buildSync, transformSync, type BuildFailure, type Message } from 'esbuild';
import { EdgeBuildError } from './errors.js';
import { validateEdgeCode } from './validate.js';

export const ROUTER_SOURCE = fileURLToPath(new URL('./router.ts', import.meta.url));

/** esbuild target: ES2020 minus what runtime 2.0 lacks, so esbuild lowers it (or fails) instead of emitting it. */
const TARGET = 'es2020';
const RUNTIME_2_SUPPORTED: Record<string, boolean> = {
  'async-await': true,
  arrow: true,
  'const-and-let': true,
  'template-literal': true,
  'exponent-operator': true,
  'rest-argument': true,
  class: false,
  generator: false,
  'async-generator': false,
  'for-of': false,
  'for-await': false,
  destructuring: false,
  'default-argument': false,
  'object-rest-spread': false,
  'array-spread': false,
  'object-extensions': false,
  'optional-chain': false,
  'nullish-coalescing': false,
  'logical-assignment': false,
  'optional-catch-binding': false,
  'dynamic-import': false,
  'import-meta': false,
  'new-target': false,
  bigint: false,
  'top-level-await': false,
};

export interface EdgeBuildOptions {
  /** The function source (default edge/router.ts). Tests point it at variants that must fail the build. */
  entry?: string;
}

export interface EdgeBuild {
  /** The deployable function code (FunctionCode of AWS::CloudFront::Function). */
  code: string;
  /** UTF-8 size of `code` (<= 10,240). */
  bytes: number;
}

function esbuildError(err: unknown, entry: string): EdgeBuildError {
  const messages: Message[] = (err as Partial<BuildFailure>).errors ?? [];
  const violations = messages.length
    ? messages.map((m) => ({
        limit: /not supported|configured target/i.test(m.text) ? 'unsupported-syntax' : /resolve/i.test(m.text) ? 'imports' : 'bundle',
        message: m.text,
        at: m.location ? `${m.location.file}:${m.location.line}:${m.location.column}` : undefined,
      }))
    : [{ limit: 'bundle', message: (err as Error).message }];
  return new EdgeBuildError(`cannot bundle ${entry}:\n${violations.map((v) => `  [${v.limit}] ${v.message}`).join('\n')}`, violations, { entry });
}

/** Cuts the `import … from "cloudfront"` and `export { handler }` statements out of a bundled module. */
function toScriptBody(bundled: string, entry: string): { body: string; cfName: string } {
  const program = parse(bundled, { ecmaVersion: 2022, sourceType: 'module' });
  let cfName: string | undefined;
  let handlerExported = false;
  const cuts: [number, number][] = [];
  for (const statement of program.body) {
    if (statement.type === 'ImportDeclaration') {
      const specifier = statement.specifiers[0];
      if (statement.source.value !== 'cloudfront' || statement.specifiers.length !== 1 || specifier?.type !== 'ImportDefaultSpecifier')
        throw new EdgeBuildError(`${entry}: only \`import cf from 'cloudfront'\` may be imported at the edge`, [
          { limit: 'imports', message: `import of "${String(statement.source.value)}"` },
        ]);
      if (cfName) throw new EdgeBuildError(`${entry}: the cloudfront module is imported twice`, [{ limit: 'imports', message: 'imported twice' }]);
      cfName = specifier.local.name;
      cuts.push([statement.start, statement.end]);
    } else if (statement.type === 'ExportNamedDeclaration' && !statement.declaration && !statement.source) {
      for (const s of statement.specifiers) {
        const local = s.local.type === 'Identifier' ? s.local.name : String(s.local.value);
        const exported = s.exported.type === 'Identifier' ? s.exported.name : String(s.exported.value);
        if (exported === 'handler' && local === 'handler') handlerExported = true;
      }
      cuts.push([statement.start, statement.end]);
    }
  }
  if (!handlerExported)
    throw new EdgeBuildError(`${entry} must export a top-level \`async function handler(event)\``, [{ limit: 'handler', message: 'no exported handler function named handler' }]);
  if (!cfName) throw new EdgeBuildError(`${entry} must \`import cf from 'cloudfront'\``, [{ limit: 'imports', message: 'no cloudfront import' }]);
  let body = '';
  let from = 0;
  for (const [start, end] of cuts) {
    body += bundled.slice(from, start);
    from = end;
  }
  return { body: body + bundled.slice(from), cfName };
}

/** Builds the deployable edge router; throws EdgeBuildError naming any broken limit. */
export function buildEdgeRouter(options: EdgeBuildOptions = {}): EdgeBuild {
  const entry = options.entry ?? ROUTER_SOURCE;
  let bundled: string;
  try {
    const result = buildSync({
      entryPoints: [entry],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'neutral',
      external: ['cloudfront'],
      target: TARGET,
      supported: RUNTIME_2_SUPPORTED,
      legalComments: 'none',
      charset: 'utf8',
      logLevel: 'silent',
    });
    bundled = result.outputFiles[0]?.text ?? '';
  } catch (err) {
    throw esbuildError(err, entry);
  }
  const { body, cfName } = toScriptBody(bundled, entry);
  let minified: string;
  try {
    minified = transformSync(body, { loader: 'js', minify: true, target: TARGET, supported: RUNTIME_2_SUPPORTED, legalComments: 'none', charset: 'utf8' }).code;
  } catch (err) {
    throw esbuildError(err, entry);
  }
  // The documented first line of a runtime 2.0 function that uses the cloudfront module.
  const code = `import ${cfName} from 'cloudfront';\n${minified.trimEnd()}\n`;
  const bytes = validateEdgeCode(code, entry);
  return { code, bytes };
}

async function cli(argv: string[]): Promise<number> {
  // node:util parseArgs directly: edge/ sits below cli/ and must not import from it.
  const { values } = parseArgs({ args: argv, options: { out: { type: 'string' } }, strict: true });
  const build = buildEdgeRouter();
  if (values.out) {
    const out = resolve(values.out);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, build.code);
    console.log(`edge router: ${out} (${build.bytes} bytes of 10240)`);
  } else {
    process.stdout.write(build.code);
  }
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  cli(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    },
  );
}
