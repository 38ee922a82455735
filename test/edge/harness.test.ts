// The local runtime behaves like the documented CloudFront Functions runtime 2.0, for hand-written functions.
import { describe, expect, it } from 'vitest';
import { EdgeFunctionError } from '../../edge/errors.js';
import { flatHeaders, loadEdgeRouter } from '../../edge/harness.js';

const fn = (body: string, prelude = ''): string => `import cf from 'cloudfront';\n${prelude}\nasync function handler(event) {\n${body}\n}\n`;

/** A function that answers with a JSON body, so tests can see what the function saw. */
const reply = (expr: string): string => fn(`return { statusCode: 200, body: JSON.stringify(${expr}) };`);
const body = (d: { response?: { body?: unknown } }): unknown => JSON.parse(String(d.response?.body));

describe('viewer-request event', () => {
  it('has the documented shape: version, context, viewer, request with lowercase headers and value objects', async () => {
    const edge = loadEdgeRouter(reply('event'), { distributionDomainName: 'd123.cloudfront.net', distributionId: 'E123' });
    const d = await edge.handle({ uri: '/live/a/index.m3u8', headers: { 'User-Agent': 'ua', Host: 'd123.cloudfront.net' }, querystring: 'x=1&x=2&y=', cookies: { sid: 's1' }, ip: '198.51.100.7' });
    const event = body(d) as Record<string, unknown>;
    expect(event).toEqual({
      version: '1.0',
      context: { distributionDomainName: 'd123.cloudfront.net', distributionId: 'E123', eventType: 'viewer-request', requestId: expect.any(String) },
      viewer: { ip: '198.51.100.7' },
      request: {
        method: 'GET',
        uri: '/live/a/index.m3u8',
        querystring: { x: { value: '1', multiValue: [{ value: '1' }, { value: '2' }] }, y: { value: '' } },
        headers: { 'user-agent': { value: 'ua' }, host: { value: 'd123.cloudfront.net' } },
        cookies: { sid: { value: 's1' } },
      },
    });
    const second = body(await edge.handle({ uri: '/' })) as { context: { requestId: string } };
    expect(second.context.requestId).not.toBe((event.context as { requestId: string }).requestId);
  });

  it('hands the function objects of its own realm', async () => {
    const d = await loadEdgeRouter(reply('[event instanceof Object, event.request.headers instanceof Object]')).handle({ uri: '/' });
    expect(body(d)).toEqual([true, true]);
  });

  it('returns a generated response instead of the request', async () => {
    const edge = loadEdgeRouter(fn("return { statusCode: 302, statusDescription: 'Found', headers: { location: { value: '/x' } } };"));
    const d = await edge.handle({ uri: '/a' });
    expect(d.response).toEqual({ statusCode: 302, statusDescription: 'Found', headers: { location: { value: '/x' } } });
    expect(d.request).toBeUndefined();
    expect(flatHeaders(d.response?.headers)).toEqual({ location: '/x' });
    expect(flatHeaders({ vary: { value: 'a', multiValue: [{ value: 'a' }, { value: 'b' }] } })).toEqual({ vary: 'a, b' });
  });

  it('reports a rewritten uri', async () => {
    const d = await loadEdgeRouter(fn("event.request.uri = '/b'; return event.request;")).handle({ uri: '/a' });
    expect(d).toMatchObject({ uri: '/b', rewritten: true, originId: null });
  });

  it('fails like CloudFront when the function throws or returns something invalid', async () => {
    await expect(loadEdgeRouter(fn("throw new Error('boom');")).handle({ uri: '/a' })).rejects.toThrow(EdgeFunctionError);
    await expect(loadEdgeRouter(fn('return undefined;')).handle({ uri: '/a' })).rejects.toThrow(/neither a request nor a response/);
    await expect(loadEdgeRouter(fn("event.request.method = 'POST'; return event.request;")).handle({ uri: '/a' })).rejects.toThrow(/method/);
    await expect(loadEdgeRouter(fn("event.request.uri = 'no-slash'; return event.request;")).handle({ uri: '/a' })).rejects.toThrow(/invalid uri/);
  });
});

describe('cf.kvs()', () => {
  const reader = fn(
    `const kvs = cf.kvs();
     let value;
     try { value = await kvs.get(event.request.querystring.k.value, { format: event.request.querystring.f.value }); }
     catch (e) { return { statusCode: 404, body: String(e.message) }; }
     return { statusCode: 200, body: JSON.stringify({ type: typeof value, bytes: value instanceof Uint8Array, value: value instanceof Uint8Array ? Array.from(value) : value }) };`,
  );

  it('get() rejects on a missing key and reads string, json and bytes formats', async () => {
    const store = new Map([
      ['s', 'standby'],
      ['j', '{"a":[1,2]}'],
    ]);
    const edge = loadEdgeRouter(reader, { kvs: store });
    expect((await edge.handle({ uri: '/', querystring: 'k=missing&f=string' })).response?.statusCode).toBe(404);
    expect(body(await edge.handle({ uri: '/', querystring: 'k=s&f=string' }))).toEqual({ type: 'string', bytes: false, value: 'standby' });
    expect(body(await edge.handle({ uri: '/', querystring: 'k=j&f=json' }))).toEqual({ type: 'object', bytes: false, value: { a: [1, 2] } });
    expect(body(await edge.handle({ uri: '/', querystring: 'k=s&f=bytes' }))).toEqual({ type: 'object', bytes: true, value: [...Buffer.from('standby')] });
  });

  it('reads the caller-owned Map live, and a throwing callback becomes a rejected get()', async () => {
    const store = new Map<string, string>();
    const edge = loadEdgeRouter(reader, { kvs: store });
    expect((await edge.handle({ uri: '/', querystring: 'k=route:a&f=string' })).response?.statusCode).toBe(404);
    store.set('route:a', 'standby');
    expect(body(await edge.handle({ uri: '/', querystring: 'k=route:a&f=string' }))).toMatchObject({ value: 'standby' });

    const faulty = loadEdgeRouter(reader, {
      kvs: () => {
        throw new Error('KVS throttled');
      },
    });
    const d = await faulty.handle({ uri: '/', querystring: 'k=route:a&f=string' });
    expect(d.response).toEqual({ statusCode: 404, body: 'KVS throttled' });
  });

  it('exists() and meta()', async () => {
    const edge = loadEdgeRouter(reply('{ yes: await cf.kvs().exists("a"), no: await cf.kvs().exists("b"), meta: await cf.kvs().meta() }'), { kvs: new Map([['a', '1'], ['c', '2']]) });
    const d = await edge.handle({ uri: '/' });
    expect(body(d)).toEqual({ yes: true, no: false, meta: { creationDateTime: expect.any(String), lastUpdatedDateTime: expect.any(String), keyCount: 2 } });
    expect(d.kvsReads).toEqual(['a', 'b']);
  });

  it('throws when no store is associated', async () => {
    await expect(loadEdgeRouter(fn('cf.kvs(); return event.request;')).handle({ uri: '/' })).rejects.toThrow(/no KeyValueStore/);
  });
});

describe('origin modification', () => {
  it('records selectRequestOriginById, updateRequestOrigin and createRequestOriginGroup', async () => {
    const edge = loadEdgeRouter(
      fn(`cf.selectRequestOriginById('mp-b');
          cf.updateRequestOrigin({ originPath: '/v2', timeouts: { readTimeout: 5 } });
          cf.createRequestOriginGroup({ originIds: [{ originId: 'mp-b' }, { originId: 'mp-a' }], failoverCriteria: { statusCodes: [404, 503] } });
          return event.request;`),
      { originIds: ['mp-a', 'mp-b'] },
    );
    const d = await edge.handle({ uri: '/x' });
    expect(d.originId).toBe('mp-b');
    expect(d.originUpdate).toEqual({ originPath: '/v2', timeouts: { readTimeout: 5 } });
    expect(d.originGroup).toEqual({ originIds: [{ originId: 'mp-b' }, { originId: 'mp-a' }], failoverCriteria: { statusCodes: [404, 503] } });
    // Nothing leaks into the next request.
    const next = await loadEdgeRouter(fn('return event.request;')).handle({ uri: '/x' });
    expect(next.originId).toBeNull();
  });

  it('rejects origins the distribution lacks and malformed origin groups', async () => {
    const opts = { originIds: ['mp-a', 'mp-b'] };
    await expect(loadEdgeRouter(fn("cf.selectRequestOriginById('mp-z'); return event.request;"), opts).handle({ uri: '/' })).rejects.toThrow(/no origin "mp-z"/);
    await expect(
      loadEdgeRouter(fn("cf.createRequestOriginGroup({ originIds: [{ originId: 'mp-a' }], failoverCriteria: { statusCodes: [503] } }); return event.request;"), opts).handle({ uri: '/' }),
    ).rejects.toThrow(/exactly two/);
    await expect(loadEdgeRouter(fn("cf.createRequestOriginGroup({ originIds: [{ originId: 'mp-a' }, { originId: 'mp-b' }] }); return event.request;"), opts).handle({ uri: '/' })).rejects.toThrow(
      /failoverCriteria/,
    );
  });

  it('keeps the origin choices of concurrent invocations apart', async () => {
    const edge = loadEdgeRouter(
      fn("const v = await cf.kvs().get(event.request.uri); cf.selectRequestOriginById(v); return event.request;"),
      { kvs: (key) => `origin${key.replace('/', '-')}` },
    );
    const uris = Array.from({ length: 50 }, (_, i) => `/${i}`);
    const decisions = await Promise.all(uris.map((uri) => edge.handle({ uri })));
    expect(decisions.map((d) => d.originId)).toEqual(uris.map((u) => `origin${u.replace('/', '-')}`));
  });
});

describe('runtime restrictions', () => {
  it.each([
    ['setTimeout', 'await new Promise((r) => setTimeout(r, 1)); return event.request;'],
    ['process', 'return { statusCode: 200, body: process.env.HOME };'],
    ['require', "require('fs'); return event.request;"],
    ['fetch', "await fetch('http://127.0.0.1:1'); return event.request;"],
  ])('has no %s', async (_name, code) => {
    await expect(loadEdgeRouter(fn(code)).handle({ uri: '/' })).rejects.toThrow(/is not defined/);
  });

  it('refuses code generation from strings', async () => {
    await expect(loadEdgeRouter(fn("eval('1'); return event.request;")).handle({ uri: '/' })).rejects.toThrow(/Code generation from strings disallowed/);
    await expect(loadEdgeRouter(fn("new Function('return 1')(); return event.request;")).handle({ uri: '/' })).rejects.toThrow(/Code generation/);
  });

  it('runs in strict mode', async () => {
    await expect(loadEdgeRouter(fn('undeclared = 1; return event.request;')).handle({ uri: '/' })).rejects.toThrow(/undeclared is not defined/);
  });

  it('console.log takes one argument and goes to the log callback', async () => {
    const lines: string[] = [];
    await loadEdgeRouter(fn("console.log('route ' + event.request.uri); return event.request;"), { log: (l) => lines.push(l) }).handle({ uri: '/a' });
    expect(lines).toEqual(['route /a']);
    await expect(loadEdgeRouter(fn("console.log('a', 'b'); return event.request;")).handle({ uri: '/' })).rejects.toThrow(/one argument/);
  });

  it('keeps line:column of the deployed file in errors', async () => {
    const edge = loadEdgeRouter(fn("\n\n  throw new Error('here');"));
    const err = await edge.handle({ uri: '/' }).catch((e: unknown) => e as EdgeFunctionError);
    expect(String((err as EdgeFunctionError).cause && ((err as EdgeFunctionError).cause as Error).stack)).toMatch(/edge-router\.js:6:9/);
  });

  it('refuses to load what CloudFront would not run', () => {
    expect(() => loadEdgeRouter("import qs from 'querystring';\nfunction handler(e) { return e.request; }")).toThrow(/only `import cf from 'cloudfront'`/);
    expect(() => loadEdgeRouter("import cf from 'cloudfront';\nexport function handler(e) { return e.request; }")).toThrow(/not module exports/);
    expect(() => loadEdgeRouter("import cf from 'cloudfront';\nfunction main(e) { return e.request; }")).toThrow(/no top-level `function handler/);
    expect(() => loadEdgeRouter('function handler( {')).toThrow(/does not parse/);
  });
});
