// The CloudFront Functions (runtime cloudfront-js-2.0) event and return shapes, as documented in
// DG functions-event-structure.html. Types only: shared by the router source and the local harness.

/** Query strings, headers and cookies: `{ name: { value, multiValue? } }`; header names are lowercase. */
export interface CfValue {
  value: string;
  multiValue?: { value: string }[];
}
export type CfValues = Record<string, CfValue>;

export interface CfRequest {
  /** The method cannot be changed by the function. */
  method: string;
  /** Path only: the query string is in `querystring`. */
  uri: string;
  querystring: CfValues;
  headers: CfValues;
  cookies: CfValues;
}

/** A response generated at the edge (returned instead of the request). */
export interface CfResponse {
  statusCode: number;
  statusDescription?: string;
  headers?: CfValues;
  cookies?: Record<string, CfValue & { attributes?: string }>;
  body?: string | { encoding: 'text' | 'base64'; data: string };
}

export interface CfContext {
  distributionDomainName?: string;
  distributionId?: string;
  eventType: 'viewer-request' | 'viewer-response';
  requestId?: string;
}

export interface CfViewerRequestEvent {
  version: '1.0';
  context: CfContext;
  viewer: { ip: string };
  request: CfRequest;
}

/** `cf.kvs()` handle: reads only. `get` rejects when the key is missing. */
export interface CfKvsHandle {
  get(key: string, options?: { format?: 'string' }): Promise<string>;
  get(key: string, options: { format: 'json' }): Promise<unknown>;
  get(key: string, options: { format: 'bytes' }): Promise<Uint8Array>;
  exists(key: string): Promise<boolean>;
  meta(): Promise<{ creationDateTime: string; lastUpdatedDateTime: string; keyCount: number }>;
}

/** `cf.updateRequestOrigin()` parameters (DG helper-functions-origin-modification.html); unset fields are inherited. */
export interface CfOriginUpdate {
  domainName?: string;
  hostHeader?: string;
  originPath?: string;
  customHeaders?: Record<string, string>;
  connectionAttempts?: number;
  originShield?: { enabled: boolean; region?: string };
  originAccessControlConfig?: {
    enabled: boolean;
    signingBehavior?: 'always' | 'never' | 'no-override';
    signingProtocol?: 'sigv4';
    originType?: 's3' | 'mediapackagev2' | 'mediastore' | 'lambda';
  };
  timeouts?: { readTimeout?: number; responseCompletionTimeout?: number; keepAliveTimeout?: number; connectionTimeout?: number };
  customOriginConfig?: { port?: number; protocol?: 'http' | 'https'; sslProtocols?: string[] };
  sni?: string;
  allowedCertificateNames?: string[];
}

export interface CfOriginGroup {
  /** Exactly two: the first is the primary. */
  originIds: { originId: string; originOverrides?: CfOriginUpdate }[];
  failoverCriteria: { statusCodes: number[] };
  selectionCriteria?: 'default' | 'media-quality-score';
}

/** The `cloudfront` module of runtime 2.0 (`import cf from 'cloudfront'`). */
export interface CfModule {
  kvs(kvsId?: string): CfKvsHandle;
  selectRequestOriginById(originId: string, options?: { hostHeader?: string; sni?: string; allowedCertificateNames?: string[] }): void;
  updateRequestOrigin(params: CfOriginUpdate): void;
  createRequestOriginGroup(params: CfOriginGroup): void;
}
