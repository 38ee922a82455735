// The build produces a deployable runtime 2.0 function, and FAILS when a limit is broken.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'acorn';
import { afterAll, describe, expect, it } from 'vitest';
import { buildEdgeRouter } from '../../edge/build.js';
import { EdgeBuildError } from '../../edge/errors.js';
import { MAX_FUNCTION_BYTES, findViolations, validateEdgeCode } from '../../edge/validate.js';
import { EDGE_FUNCTION_LOGICAL_ID, edgeResources } from '../../edge/resources.js';
import type { Registry } from '../../functions/domain/registry/index.js';
import { registryWithChannels } from './registries.js';

const fixture = (name: string): string => join(import.meta.dirname, 'fixtures', name);

/** The limits named by the EdgeBuildError `fn` throws (fails the test if it does not throw one). */
function brokenLimits(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(EdgeBuildError);
    expect((err as EdgeBuildError).name).toBe('Flatline.EdgeBuildError');
    return (err as EdgeBuildError).violations.map((v) => v.limit);
  }
  throw new Error('expected an EdgeBuildError');
}

describe('buildEdgeRouter', () => {
  it('builds one deployable runtime 2.0 file', () => {
    const build = buildEdgeRouter();
    expect(build.bytes).toBe(Buffer.byteLength(build.code, 'utf8'));
    expect(build.bytes).toBeLessThanOrEqual(MAX_FUNCTION_BYTES);
    expect(build.code.split('\n')[0]).toBe("import cf from 'cloudfront';");
    expect(findViolations(build.code)).toEqual([]);

    const program = parse(build.code, { ecmaVersion: 2022, sourceType: 'module' });
    expect(program.body.filter((s) => s.type === 'ImportDeclaration')).toHaveLength(1);
    expect(program.body.filter((s) => s.type.startsWith('Export'))).toHaveLength(0);
    const handler = program.body.find((s) => s.type === 'FunctionDeclaration' && s.id.name === 'handler');
    expect(handler).toMatchObject({ async: true });
  });

  it('is deterministic', () => {
    expect(buildEdgeRouter().code).toBe(buildEdgeRouter().code);
  });

  it('deploys the same bytes for 1 and for 1,000 channels: the function carries no channel data', () => {
    const one = registryWithChannels(1);
    const thousand = registryWithChannels(1000, { perOrigin: true });
    const code = (registry: Registry): string => String(edgeResources(registry, { stage: 'example' }).Resources[EDGE_FUNCTION_LOGICAL_ID]?.Properties.FunctionCode);
    expect(code(thousand)).toBe(code(one));
    expect(Buffer.byteLength(code(thousand))).toBe(buildEdgeRouter().bytes);
    // Nothing of any channel is in it.
    for (const c of [thousand.channels[0]!, thousand.channels[999]!]) {
      for (const text of [c.id, c.standby.originId, c.edge.slatePath, c.primary.originPath!]) expect(code(thousand)).not.toContain(text);
    }
  });

  it.each([
    ['router-with-timer.ts', 'forbidden-global', /setTimeout/],
    ['router-with-fetch.ts', 'forbidden-global', /fetch/],
    ['router-with-promise-all.ts', 'promise-combinator', /Promise\.all/],
    ['router-with-class.ts', 'unsupported-syntax', /class/i],
    ['router-with-fs.ts', 'imports', /fs/],
    ['router-without-handler.ts', 'handler', /handler/],
  ])('fails on a source variant: %s', (file, limit, message) => {
    let error: EdgeBuildError | undefined;
    try {
      buildEdgeRouter({ entry: fixture(file) });
    } catch (err) {
      error = err as EdgeBuildError;
    }
    expect(error).toBeInstanceOf(EdgeBuildError);
    expect(error?.violations.map((v) => v.limit)).toContain(limit);
    expect(error?.message).toMatch(message);
  });

  it('also names a multi-argument console.log', () => {
    const limits = brokenLimits(() => buildEdgeRouter({ entry: fixture('router-with-promise-all.ts') }));
    expect(limits).toEqual(expect.arrayContaining(['console', 'promise-combinator']));
  });
});

describe('validateEdgeCode', () => {
  const fn = (body: string, prelude = ''): string => `import cf from 'cloudfront';\n${prelude}\nasync function handler(event) {\n${body}\nreturn event.request;\n}\n`;

  it('accepts what runtime 2.0 documents: ES5.1, const/let, arrows, templates, rest params, **, top-level async, one-argument console.log', () => {
    const code = fn(
      'const r = event.request; let n = 2 ** 3; const f = (a, ...rest) => `${a}:${rest.length}`;\n' +
        "console.log('n=' + f(n, 1, 2)); var o = { a: 1, 'b-c': 2 }; for (var k in o) n += o[k];\n" +
        'const kvs = cf.kvs(); try { await kvs.get("route:x"); } catch (e) { n = 0; }\n' +
        'Function.prototype.call.call(function () {}, null); if (Object.prototype.hasOwnProperty.call(o, "a")) n++;',
      'async function read(k) { return k; }',
    );
    expect(findViolations(code)).toEqual([]);
    expect(validateEdgeCode(code)).toBe(Buffer.byteLength(code));
  });

  it.each([
    ['setTimeout(() => 1, 5);', 'forbidden-global'],
    ['setInterval(function () {}, 5);', 'forbidden-global'],
    ['await fetch("https://example.com");', 'forbidden-global'],
    ['new XMLHttpRequest();', 'forbidden-global'],
    ['const fs = require("fs");', 'forbidden-global'],
    ['const env = process.env.X;', 'forbidden-global'],
    ['eval("1");', 'dynamic-code'],
    ['const g = new Function("return 1");', 'dynamic-code'],
    ['const m = await import("cloudfront");', 'dynamic-code'],
    ['console.log("a", "b");', 'console'],
    ['console.error("a");', 'console'],
    ['await Promise.all([1, 2]);', 'promise-combinator'],
    ['await Promise.race([1]);', 'promise-combinator'],
    ['const x = event?.request;', 'unsupported-syntax'],
    ['const x = event.request ?? 1;', 'unsupported-syntax'],
    ['let x = 0; x ??= 1;', 'unsupported-syntax'],
    ['for (const h of [1]) h;', 'unsupported-syntax'],
    ['const { request } = event;', 'unsupported-syntax'],
    ['const [a] = [1];', 'unsupported-syntax'],
    ['const a = [...[1]];', 'unsupported-syntax'],
    ['const f = function (a = 1) { return a; };', 'unsupported-syntax'],
    ['const request = 1; const o = { request };', 'unsupported-syntax'],
    ['const o = { m() { return 1; } };', 'unsupported-syntax'],
    ['const k = "a"; const o = { [k]: 1 };', 'unsupported-syntax'],
    ['class A {}', 'unsupported-syntax'],
    ['function* g() {}', 'unsupported-syntax'],
    ['const f = async () => 1;', 'unsupported-syntax'],
    ['async function inner() {}', 'unsupported-syntax'],
    ['try { x(); } catch { }', 'unsupported-syntax'],
    ['const b = 10n;', 'unsupported-syntax'],
    ['String.raw`a`;', 'unsupported-syntax'],
  ])('rejects %s', (body, limit) => {
    expect(findViolations(fn(body)).map((v) => v.limit)).toContain(limit);
  });

  it('rejects module shapes CloudFront does not take', () => {
    expect(findViolations('async function handler(e) { return e.request; }').map((v) => v.limit)).toEqual(['imports']);
    expect(findViolations(`import cf from 'cloudfront';\nimport qs from 'querystring';\nfunction handler(e) { return e.request; }`).map((v) => v.limit)).toEqual(['imports', 'imports']);
    expect(findViolations(`import { kvs } from 'cloudfront';\nfunction handler(e) { return e.request; }`).map((v) => v.limit)).toEqual(['imports']);
    expect(findViolations(`import cf from 'cloudfront';\nexport function handler(e) { return e.request; }`).map((v) => v.limit)).toEqual(['exports']);
    expect(findViolations(`import cf from 'cloudfront';\nfunction main(e) { return e.request; }`).map((v) => v.limit)).toEqual(['handler']);
    expect(findViolations(`import cf from 'cloudfront';\nawait cf.kvs().get('x');\nfunction handler(e) { return e.request; }`).map((v) => v.limit)).toEqual(['unsupported-syntax']);
    expect(findViolations('function handler( {').map((v) => v.limit)).toEqual(['syntax']);
  });

  it('rejects code over the size limit and says where it broke', () => {
    const big = fn(`const pad = "${'x'.repeat(MAX_FUNCTION_BYTES)}";`);
    expect(() => validateEdgeCode(big, 'big.js')).toThrow(/big\.js.*\n.*\[size\] the function is \d+ bytes; CloudFront Functions allow at most 10240/);
    const timer = findViolations(fn('setTimeout(() => 1, 5);'));
    expect(timer[0]?.at).toBe('4:1');
  });
});

describe('edge/build.ts as a script', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flatline-edge-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the same file buildEdgeRouter returns', () => {
    const out = join(dir, 'dist', 'router.js');
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'edge/build.ts', '--out', out], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/\(\d+ bytes of 10240\)/);
    expect(readFileSync(out, 'utf8')).toBe(buildEdgeRouter().code);
  });

  it('exits 1 with the reason on an option it does not know (there is no --registry: the build does not read one)', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'edge/build.ts', '--registry', join(dir, 'registry.yml')], { encoding: 'utf8' });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/Unknown option '--registry'/);
  });
});
