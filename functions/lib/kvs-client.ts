// The CloudFront KeyValueStore client, in a module of its own: its requests are signed with SigV4A, and the
// side-effect import below (the pure-JS signer) then lands only in the bundles of the steps that use KVS.
import '@aws-sdk/signature-v4a';
import { CloudFrontKeyValueStoreClient } from '@aws-sdk/client-cloudfront-keyvaluestore';
import { BUDGETS, clientOptions, perEnvironment } from './aws-clients.js';

/**
 * The KVS endpoint rules prepend the account id to the host (<account>.cloudfront-kvs.global.api.aws),
 * which turns a plain loopback endpoint into an invalid URL; an explicit endpoint provider keeps it as is.
 */
export const kvsClient = perEnvironment((name, env) => {
  const local = env.AWS_ENDPOINT_URL_CLOUDFRONT_KEYVALUESTORE;
  return new CloudFrontKeyValueStoreClient({
    region: 'us-east-1',
    ...clientOptions(BUDGETS[name]),
    ...(local ? { endpointProvider: () => ({ url: new URL(local) }) } : {}),
  });
});
