// The shapes every sandbox service shares: a parsed request, a response, and the typed wire error that
// each service renders in its own protocol (REST-JSON header + body, REST-XML ErrorResponse, query XML, JSON 1.x).
import { randomUUID } from 'node:crypto';

export type ServiceName = 'medialive' | 'cloudfront' | 'cloudfront-keyvaluestore' | 'sns' | 'events' | 'states';

export interface WireRequest {
  method: string;
  /** Decoded path segments are left to each service: this is the raw path without the query. */
  path: string;
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** Region from the SigV4 credential scope (SigV4A: the first of x-amz-region-set, '*' => us-east-1). */
  region: string;
  requestId: string;
}

export interface WireResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

/** An AWS error as a service answers it: HTTP status, error code (the SDK's exception name) and message. */
export class AwsServiceError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = code;
    this.status = status;
    this.code = code;
  }
}

/** What a service resolves a request to before it runs: the call log and fault injection need the operation first. */
export interface ResolvedOperation {
  operation: string;
  mutating: boolean;
  run: () => WireResponse | Promise<WireResponse>;
}

export interface SandboxService {
  readonly name: ServiceName;
  resolve(req: WireRequest): ResolvedOperation;
  /** Renders an error in this service's protocol. */
  renderError(err: AwsServiceError, req: WireRequest): WireResponse;
  /** The service's own throttling error (fault injection). */
  throttleError(): AwsServiceError;
}

export const header = (req: WireRequest, name: string): string | undefined => {
  const v = req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
};

export const json = (status: number, body: unknown, headers: Record<string, string> = {}): WireResponse => ({
  status,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

/** REST-JSON errors (MediaLive, KVS): the SDK reads the code from x-amzn-errortype and the message from the body. */
export function restJsonError(err: AwsServiceError, messageKey: 'message' | 'Message'): WireResponse {
  return json(err.status, { [messageKey]: err.message }, { 'x-amzn-errortype': err.code });
}

/** JSON 1.0 / 1.1 errors (SFN, EventBridge): `__type` in the body. */
export function awsJsonError(err: AwsServiceError, contentType: string): WireResponse {
  return {
    status: err.status,
    headers: { 'content-type': contentType, 'x-amzn-errortype': err.code },
    body: JSON.stringify({ __type: err.code, message: err.message }),
  };
}

/** The XML ErrorResponse of CloudFront (REST-XML) and SNS (query). */
export function xmlError(err: AwsServiceError, xmlns: string, requestId: string): WireResponse {
  const type = err.status >= 500 ? 'Receiver' : 'Sender';
  return {
    status: err.status,
    headers: { 'content-type': 'text/xml' },
    body:
      `<?xml version="1.0"?>\n<ErrorResponse xmlns="${xmlns}"><Error><Type>${type}</Type><Code>${escapeXml(err.code)}</Code>` +
      `<Message>${escapeXml(err.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
  };
}

export function escapeXml(s: string): string {
  return s.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] ?? c);
}

export const newRequestId = (): string => randomUUID();

/** Parses a JSON request body; a malformed one is the service's 400. */
export function parseJsonBody<T>(req: WireRequest, code = 'SerializationException'): T {
  if (!req.body) return {} as T;
  try {
    return JSON.parse(req.body) as T;
  } catch {
    throw new AwsServiceError(400, code, 'request body is not valid JSON');
  }
}

/** A string member of a parsed JSON body (undefined when absent); any other type is the service's 400, as AWS answers. */
export function stringMember(body: Record<string, unknown>, name: string, code = 'SerializationException'): string | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new AwsServiceError(400, code, `${name}: expected a string, got ${typeof value}`);
  return value;
}

export const ACCOUNT_ID = '123456789012';
