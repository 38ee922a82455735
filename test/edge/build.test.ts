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
import { EXAMPLE_REGISTRY, exampleRegistry, registryWithChannels, registryWithPerOriginChannel } from './registries.js';

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
  it('builds the example registry into one deployable runtime 2.0 file', () => {
    const registry = exampleRegistry();
    const build = buildEdgeRouter(registry);
    expect(build.bytes).toBe(Buffer.byteLength(build.code, 'utf8'));
    expect(build.bytes).toBeLessThanOrEqual(MAX_FUNCTION_BYTES);
    expect(build.code.split('\n')[0]).toBe("import cf from 'cloudfront';");
    expect(findViolations(build.code)).toEqual([]);

    const program = parse(build.code, { ecmaVersion: 2022, sourceType: 'module' });
    expect(program.body.filter((s) => s.type === 'ImportDeclaration')).toHaveLength(1);
    expect(program.body.filter((s) => s.type.startsWith('Export'))).toHaveLength(0);
    const handler = program.body.find((s) => s.type === 'FunctionDeclaration' && s.id.name === 'handler');
    expect(handler).toMatchObject({ async: true });

    expect(Object.keys(build.table)).toEqual(registry.channels.map((c) => c.id));
    for (const c of registry.channels) expect(build.table[c.id]).toEqual({ s: c.standby.originId, l: c.edge.slatePath });
  });

  it('embeds per-origin paths without trailing slashes', () => {
    const build = buildEdgeRouter(registryWithPerOriginChannel());
    expect(build.table['events-1']).toEqual({ s: 'mp-usw2-events-1', l: '/slate/events.m3u8', p: '/out/v1/aaa111/events-1', q: '/out/v1/bbb222/events-1' });
  });

  it('is deterministic', () => {
    expect(buildEdgeRouter(exampleRegistry()).code).toBe(buildEdgeRouter(exampleRegistry()).code);
  });

  it('fails when the channel table pushes the function over 10,240 bytes', () => {
    expect(buildEdgeRouter(registryWithChannels(20)).bytes).toBeLessThanOrEqual(MAX_FUNCTION_BYTES);
    expect(brokenLimits(() => buildEdgeRouter(registryWithChannels(250)))).toEqual(['size']);
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
      buildEdgeRouter(exampleRegistry(), { entry: fixture(file) });
    } catch (err) {
      error = err as EdgeBuildError;
    }
    expect(error).toBeInstanceOf(EdgeBuildError);
    expect(error?.violations.map((v) => v.limit)).toContain(limit);
    expect(error?.message).toMatch(message);
  });

  it('also names a multi-argument console.log', () => {
    const limits = brokenLimits(() => buildEdgeRouter(exampleRegistry(), { entry: fixture('router-with-promise-all.ts') }));
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
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'edge/build.ts', '--registry', EXAMPLE_REGISTRY, '--out', out], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/bytes of 10240, 3 channels/);
    expect(readFileSync(out, 'utf8')).toBe(buildEdgeRouter(exampleRegistry()).code);
  });

  it('exits 1 with the reason when the registry cannot be read', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'edge/build.ts', '--registry', join(dir, 'missing.yml')], { encoding: 'utf8' });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/cannot read registry/);
  });
});
