// One loopback HTTP server for every service. Requests are dispatched by the service in the SigV4 / SigV4A
// credential scope of the Authorization header, exactly what the real SDK clients send, so one endpoint
// URL serves all AWS_ENDPOINT_URL_* variables.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CallLog } from './calls.js';
import type { FaultInjector, Fault } from './faults.js';
import { AwsServiceError, newRequestId, type SandboxService, type ServiceName, type WireRequest, type WireResponse } from './wire.js';

/** Global services: their calls are logged and matched against faults with region 'global'. */
const GLOBAL_SERVICES = new Set<ServiceName>(['cloudfront', 'cloudfront-keyvaluestore']);

export interface Scope {
  service: string;
  region: string;
}

/**
 * SigV4: `AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/medialive/aws4_request, ...`
 * SigV4A: `AWS4-ECDSA-P256-SHA256 Credential=AKID/20260101/cloudfront-keyvaluestore/aws4_request, ...`
 * (no region in the scope; the region set is the x-amz-region-set header).
 */
export function parseScope(authorization: string | undefined, regionSet: string | undefined): Scope | undefined {
  const m = authorization?.match(/Credential=([^,\s]+)/);
  if (!m?.[1]) return undefined;
  const parts = m[1].split('/');
  if (parts.length === 5) return { service: parts[3]!, region: parts[2]! };
  if (parts.length === 4) {
    const first = regionSet?.split(',')[0]?.trim();
    return { service: parts[2]!, region: !first || first === '*' ? 'us-east-1' : first };
  }
  return undefined;
}

export interface SandboxServer {
  server: Server;
  url: string;
  close(): Promise<void>;
}

export async function startServer(
  services: SandboxService[],
  calls: CallLog,
  faults: FaultInjector,
  /** The error for a request signed with revoked credentials (a timed-out Lambda invocation's), if any. */
  refusal: (authorization: string | string[] | undefined) => AwsServiceError | undefined = () => undefined,
): Promise<SandboxServer> {
  const byName = new Map(services.map((s) => [s.name as string, s]));
  const server = createServer((req, res) => {
    // node:http ignores a listener's promise: a request that fails unexpectedly is answered with a 500.
    void handle(req, res).catch((err: unknown) => {
      res.statusCode = 500;
      res.end(String(err));
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://sandbox');
    const regionSet = req.headers['x-amz-region-set'];
    const scope = parseScope(req.headers.authorization, Array.isArray(regionSet) ? regionSet[0] : regionSet);
    const service = scope ? byName.get(scope.service) : undefined;
    if (!scope || !service) {
      send(res, { status: 400, headers: { 'content-type': 'text/plain' }, body: `sandbox: no service for scope ${scope?.service ?? '(unsigned)'}` });
      return;
    }
    const wire: WireRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body,
      region: scope.region,
      requestId: newRequestId(),
    };
    const region = GLOBAL_SERVICES.has(service.name) ? 'global' : wire.region;
    let operation = 'Unknown';
    let mutating = false;
    let response: WireResponse;
    let fault: Fault | undefined;
    let latencyMs = 0;
    try {
      const resolved = service.resolve(wire);
      operation = resolved.operation;
      mutating = resolved.mutating;
      const refused = refusal(req.headers.authorization);
      if (refused) throw refused;
      const drawn = faults.draw({ service: service.name, operation, region, mutating });
      latencyMs = drawn.latencyMs;
      if (latencyMs > 0) await sleep(latencyMs);
      fault = drawn.failure;
      if (fault?.kind === 'blackhole') {
        // Accepted, never answered: the SDK's request timeout is what ends the call.
        calls.add({ service: service.name, operation, region, status: 0, at: Date.now(), mutating, error: 'Blackholed', fault: 'blackhole', request: { method: wire.method, url: req.url ?? '/', headers: flatHeaders(req.headers), body } });
        return;
      }
      if (fault) throw faultError(service, fault);
      response = await resolved.run();
    } catch (err) {
      const wireErr = err instanceof AwsServiceError ? err : new AwsServiceError(500, 'InternalFailure', String((err as Error)?.message ?? err));
      response = service.renderError(wireErr, wire);
    }
    const error = response.status >= 400 ? (response.headers?.['x-amzn-errortype'] ?? errorCodeFromXml(response.body)) : undefined;
    calls.add({
      service: service.name,
      operation,
      region,
      status: response.status,
      at: Date.now(),
      mutating,
      ...(error ? { error } : {}),
      ...(fault ? { fault: fault.kind } : {}),
      ...(latencyMs > 0 ? { latencyMs } : {}),
      request: { method: wire.method, url: req.url ?? '/', headers: flatHeaders(req.headers), body },
    });
    send(res, { ...response, headers: { 'x-amzn-requestid': wire.requestId, ...response.headers } });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The wire error an injected fault produces, in the service's own vocabulary. */
function faultError(service: SandboxService, fault: Fault): AwsServiceError {
  switch (fault.kind) {
    case 'throttle':
      return service.throttleError();
    case '5xx':
      return new AwsServiceError(fault.status ?? 500, fault.errorCode ?? (service.name === 'sns' ? 'InternalError' : 'InternalServerError'), fault.message ?? 'injected server error');
    case '412':
      // CloudFront's stale If-Match. KVS answers a stale ETag with 409 ConflictException (see kvs.ts).
      return service.name === 'cloudfront'
        ? new AwsServiceError(412, 'PreconditionFailed', fault.message ?? 'The precondition given in one or more of the request-header fields evaluated to false.')
        : new AwsServiceError(409, 'ConflictException', fault.message ?? 'injected ETag conflict');
    case 'error':
    case 'latency':
    case 'blackhole': // answered before it gets here; an error if it ever does
      return new AwsServiceError(fault.status ?? 400, fault.errorCode ?? 'InjectedError', fault.message ?? 'injected error');
  }
}

function flatHeaders(headers: IncomingMessage['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

function errorCodeFromXml(body: string | undefined): string | undefined {
  return body?.match(/<Code>([^<]+)<\/Code>/)?.[1];
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, r: WireResponse): void {
  const body = r.body ?? '';
  res.writeHead(r.status, { ...r.headers, 'content-length': String(Buffer.byteLength(body)) });
  res.end(body);
}
