// `flatline edge sync [--registry <file>] [--plan] [--from-legacy | --delete-legacy] [--json]`: reconciles the
// KeyValueStore value edge:<id> of every registry channel (functions/domain/reconcilers/edge-sync.ts). Run it
// after every deploy that changes the registry; the runbook has the migration from route:<id> / slate:<id>.
import { InvalidInputError } from '../../functions/domain/errors.js';
import { syncEdgeValues } from '../../functions/domain/reconcilers/edge-sync.js';
import { readRegistryFile, registrySourcePath } from '../../functions/domain/registry/file.js';
import { kvsClient } from '../../functions/lib/kvs-client.js';
import { parseCommandArgs } from '../args.js';
import { show } from '../format.js';

export const summary = 'edge sync: write each channel\'s KeyValueStore value (edge:<id>) from the registry; --plan to preview';

const USAGE = 'usage: flatline edge sync [--registry <file>] [--plan] [--from-legacy | --delete-legacy] [--json]';

export async function run(args: string[]): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(args);
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (positionals.length !== 1 || positionals[0] !== 'sync') {
    console.error(USAGE);
    return 2;
  }
  try {
    const registry = readRegistryFile(values.registry ?? registrySourcePath());
    const report = await syncEdgeValues({
      channels: registry.channels,
      mode: values.plan ? 'plan' : 'live',
      fromLegacy: values['from-legacy'] ?? false,
      deleteLegacy: values['delete-legacy'] ?? false,
      kvs: kvsClient('tool'),
    });
    if (values.json) {
      console.log(JSON.stringify(report, null, 2));
      return 0;
    }
    const { observed, changes } = report;
    const verb = values.plan ? 'would change' : 'changed';
    for (const c of changes) console.log(`${verb} ${c.resource}: ${show(c.from, 'absent')} -> ${show(c.to, 'absent')}`);
    console.log(`${observed.channels} channels in ${observed.stores.join(', ')}: ${changes.length} ${verb}, ${observed.unchanged} already right`);
    if (observed.orphans.length) console.log(`values of channels the registry no longer has (left alone): ${observed.orphans.join(', ')}`);
    return 0;
  } catch (err) {
    console.error(`flatline edge sync: ${(err as Error).message}`);
    return err instanceof InvalidInputError ? 2 : 1;
  }
}

function parse(args: string[]) {
  return parseCommandArgs('edge', args, {
    registry: { type: 'string' },
    plan: { type: 'boolean' },
    'from-legacy': { type: 'boolean' },
    'delete-legacy': { type: 'boolean' },
    json: { type: 'boolean' },
  });
}
