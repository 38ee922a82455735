// The CloudFront KeyValueStore client, in a module of its own: its requests are signed with SigV4A, and the
// side-effect import below (the pure-JS signer) then lands only in the bundles of the steps that use KVS.
import '@aws-sdk/signature-v4a';
import { CloudFrontKeyValueStoreClient, type CloudFrontKeyValueStoreClientConfig } from '@aws-sdk/client-cloudfront-keyvaluestore';
import { awsClient, CLOUDFRONT_REGION, type BudgetName } from './aws-clients.js';

/**
 * The KVS endpoint rules prepend the account id to the host (<account>.cloudfront-kvs.global.api.aws),
 * which turns a plain loopback endpoint into an invalid URL; an explicit endpoint provider keeps it as is.
 */
class KeyValueStoreClient extends CloudFrontKeyValueStoreClient {
  constructor(config: CloudFrontKeyValueStoreClientConfig) {
    const local = process.env.AWS_ENDPOINT_URL_CLOUDFRONT_KEYVALUESTORE;
    super({ ...config, ...(local ? { endpointProvider: () => ({ url: new URL(local) }) } : {}) });
  }
}

/** The KVS client of one budget, made and memoized like every other client (aws-clients.ts). */
export const kvsClient = (budget: BudgetName): CloudFrontKeyValueStoreClient => awsClient(KeyValueStoreClient, budget, CLOUDFRONT_REGION);
