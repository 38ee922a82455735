// A closed bus delivers nothing more: a retry waiting out its backoff when its sandbox stops must not invoke
// the target, whose handler (in this process) would then act on whatever sandbox runs next.
import { describe, expect, it } from 'vitest';
import { EventBridgeService } from '../../sandbox/aws/events.js';
import type { LambdaRuntime } from '../../sandbox/aws/lambda-runtime.js';

describe('EventBridge sandbox: close', () => {
  it('drops the deliveries still waiting for a retry; before close, they retry', async () => {
    const invoked: number[] = [];
    // A target that always fails, as triage does under an event storm it cannot read the ledger for.
    const lambda = { maxRetries: () => 2, invoke: () => Promise.reject(Object.assign(new Error('ledger get failed'), { name: 'LedgerError' })) } as unknown as LambdaRuntime;
    const bus = (retryMs: number) =>
      new EventBridgeService({ region: 'us-west-2', rules: [{ name: 'r', functionKey: 'triage', pattern: { source: ['t'] } }], lambda: { ...lambda, invoke: () => (invoked.push(Date.now()), lambda.invoke('triage', {})) } as unknown as LambdaRuntime, retryDelayMs: () => retryMs });

    const open = bus(0);
    open.put({ source: 't', detailType: 'x', detail: {} });
    await open.idle();
    expect(invoked).toHaveLength(3); // the first attempt and two retries
    expect(open.deadLetters).toHaveLength(1);

    invoked.length = 0;
    const closing = bus(200);
    closing.put({ source: 't', detailType: 'x', detail: {} });
    await new Promise((r) => setTimeout(r, 50)); // the first attempt failed; the retry waits 200 ms
    expect(invoked).toHaveLength(1);
    closing.close();
    await closing.idle();
    expect(invoked).toHaveLength(1);
  });
});
