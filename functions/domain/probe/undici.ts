// The part of undici the probe uses, its Agent (a keep-alive Pool per origin), loaded from undici's own module:
// the fetcher drives it through dispatch() (see fetcher.ts). undici's index also loads fetch, WebSocket,
// EventSource, the HTTP cache and the mocks: ~230 KB more in the probe's bundle and its cold start. undici has no
// package "exports" map, so this file is importable; test/probe/fetcher.test.ts runs it against real sockets.
import type { Agent as AgentType } from 'undici';
import AgentClass from 'undici/lib/dispatcher/agent.js';

export const Agent: typeof AgentType = AgentClass;
