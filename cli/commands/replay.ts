import type { Change } from '../../functions/domain/contracts.js';
import { FlatlineError } from '../../functions/domain/errors.js';
import { replay, type ReplayResult, type Routing } from '../../sandbox/replay/index.js';
import { parseCommandArgs } from '../args.js';
import { show } from '../format.js';

export const summary = 'replay an event file against the sandbox: the decision, its reason, and the steps it leads to';

const USAGE = 'usage: flatline replay <event.json> [--plan] [--world event|healthy] [--registry file] [--json]';

function describeChange(c: Change): string {
  return `${c.applied ? 'changed' : 'would change'} ${c.resource}: ${show(c.from)} -> ${show(c.to)}`;
}

function describeRouting(r: Routing): string {
  const ledger = r.ledger ? `ledger onAir=${r.ledger.onAir} phase=${r.ledger.phase}` : 'ledger (no item)';
  return `route=${r.route ?? 'primary (no key)'}  slate=${r.slate ? 'on' : 'off'}  origin group=${r.originOrder ? `[${r.originOrder.join(', ')}]` : 'none'}  ${ledger}`;
}

function print(result: ReplayResult, plan: boolean): void {
  const s = result.signal;
  console.log(`signal    ${s.kind} (${s.severity}) channel ${s.channelId}${s.side ? ` ${s.side}` : ''}${s.pipeline ? ` pipeline ${s.pipeline}` : ''}  from ${s.source}`);
  if (result.worldChange) console.log(`world     ${result.worldChange}`);
  const d = result.decision;
  if (!d) console.log('decision  (no rule in serverless.yml routed this event to triage)');
  else if (!d.ok) console.log(`decision  rejected: ${d.error ?? 'unknown error'} (the event goes to the dead-letter queue; nothing is acted on)`);
  else console.log(`decision  ${d.decision}: ${d.reason}${plan ? '  [plan mode]' : ''}`);
  for (const x of result.executions) {
    console.log(`\nexecution ${x.name} (${x.action}) ${x.status}${x.error ? `: ${x.error}` : ''}`);
    for (const step of x.steps) {
      const head = `  ${step.state.padEnd(26)} ${`${step.durationMs} ms`.padStart(8)}${step.retries ? `  (${step.retries} retried)` : ''}${step.error ? `  ${step.error}` : ''}`;
      console.log(head);
      for (const c of step.changes) console.log(`  ${''.padEnd(26)}          ${describeChange(c)}`);
    }
  }
  console.log(`\nrouting before  ${describeRouting(result.routing.before)}`);
  console.log(`routing after   ${describeRouting(result.routing.after)}`);
  console.log(`AWS changes     ${result.mutatingCalls} mutating call(s)${plan ? ' (plan mode makes none)' : ''}`);
  for (const n of result.notifications) console.log(`notified        ${n.subject ?? ''} ${n.subject ? '- ' : ''}${n.message.split('\n')[0]}`);
}

export async function run(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseCommandArgs('replay', args, {
      plan: { type: 'boolean' },
      world: { type: 'string' },
      registry: { type: 'string' },
      json: { type: 'boolean' },
    });
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const world = values.world ?? 'event';
  if (positionals.length !== 1 || (world !== 'event' && world !== 'healthy')) {
    console.error(USAGE);
    return 2;
  }
  try {
    const result = await replay(positionals[0]!, {
      plan: values.plan ?? false,
      world,
      ...(values.registry ? { registryPath: values.registry } : {}),
      onProgress: (m) => process.stderr.write(`… ${m}\n`),
    });
    if (values.json) console.log(JSON.stringify(result, null, 2));
    else print(result, values.plan ?? false);
    return 0;
  } catch (err) {
    // Invalid input (unreadable, not JSON, not a valid event, unknown channel) is the caller's to fix.
    if (err instanceof FlatlineError) {
      console.error(`flatline replay: ${err.message}`);
      return 2;
    }
    throw err;
  }
}
