// The triage Lambda's wiring: the confirmation's manifest fetch against an origin that accepts the connection
// and never answers (a blackholed region), over a real socket.
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { confirmFreshness } from '../../functions/triage/deps.js';
import { BUDGETS } from '../../functions/lib/aws-clients.js';

let server: Server;
const sockets = new Set<Socket>();
let url: string;

beforeAll(async () => {
  server = createServer((socket) => {
    // Accepted, read, never answered.
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  url = `http://127.0.0.1:${address.port}/out/v1/news-1/index.m3u8`;
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('confirmation fetch', () => {
  it("gives up on a blackholed origin after DescribeChannel's request timeout, not the manifest check's default", async () => {
    const verdict = await confirmFreshness(url, { staleAfterTargetDurations: 3 });
    expect(verdict.fresh).toBe(false);
    expect(verdict.ageMs).toBeNull();
    expect(verdict.reason).toContain(`within ${BUDGETS.confirm.requestTimeoutMs} ms`);
  });
});
