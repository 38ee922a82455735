// The part of undici the probe uses, its Agent (a keep-alive Pool per origin) and the request() API, loaded
// from undici's own modules. undici's index also loads fetch, WebSocket, EventSource, the HTTP cache and the
// mocks: ~230 KB more in the probe's bundle and its cold start. undici has no package "exports" map, so
// these files are importable; test/probe/fetcher.test.ts runs them against real sockets.
import type { Agent as AgentType, Dispatcher } from 'undici';
import AgentClass from 'undici/lib/dispatcher/agent.js';
import requestApi from 'undici/lib/api/api-request.js';

export const Agent: typeof AgentType = AgentClass;

/** undici's `dispatcher.request(options)`, for any Dispatcher (undici's index installs it on Dispatcher.prototype). */
export function request(dispatcher: Dispatcher, options: Dispatcher.RequestOptions): Promise<Dispatcher.ResponseData> {
  return requestApi.call(dispatcher, options);
}
