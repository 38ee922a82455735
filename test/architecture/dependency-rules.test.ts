// The dependency direction is enforced by depcruise with the repository's own rules (.dependency-cruiser.cjs,
// run by `npm test`). Given a scratch tree with the repository's layout, each forbidden import fails the check
// and names its rule; the allowed directions pass.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'flatline-deps-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Writes a tree of modules ({ path: source }) and runs depcruise with the repository's rules over it. */
function cruise(name: string, files: Record<string, string>): { status: number | null; output: string } {
  const root = join(scratch, name);
  const tree = { 'tsconfig.json': JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext' } }), ...files };
  for (const [path, source] of Object.entries(tree)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), source);
  }
  const dirs = [...new Set(Object.keys(files).map((p) => p.split('/')[0]!))];
  const run = spawnSync(process.execPath, [join(REPO, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs'), ...dirs, '--config', join(REPO, '.dependency-cruiser.cjs')], {
    cwd: root,
    encoding: 'utf8',
  });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

const exporting = 'export const x = 1;\n';
const importing = (spec: string): string => `import { x } from '${spec}';\nexport const y = x;\n`;

describe('dependency direction', () => {
  it('passes when every arrow points down: handler -> domain, deploy -> edge, sandbox -> deploy, bench -> sandbox', () => {
    const result = cruise('allowed', {
      'functions/domain/policy/index.ts': importing('../ledger/rules.js'),
      'functions/domain/ledger/rules.ts': exporting,
      'functions/triage/handler.ts': importing('../domain/policy/index.js'),
      'edge/resources.ts': importing('../functions/domain/ledger/rules.js'),
      'deploy/stack.ts': importing('../edge/resources.js'),
      'sandbox/aws/index.ts': importing('../../deploy/stack.js'),
      'bench/x.bench.ts': importing('../sandbox/aws/index.js'),
    });
    expect(result.output).toContain('no dependency violations');
    expect(result.status).toBe(0);
  });

  it('fails on every forbidden import and names the rule and the file', () => {
    const violations: Array<[rule: string, from: string, files: Record<string, string>]> = [
      ['domain-is-the-bottom', 'functions/domain/probe/loop.ts', { 'functions/domain/probe/loop.ts': importing('../../../cli/args.js'), 'cli/args.ts': exporting }],
      ['domain-is-the-bottom', 'functions/domain/triage/index.ts', { 'functions/domain/triage/index.ts': importing('../../lib/lambda.js'), 'functions/lib/lambda.ts': exporting }],
      ['pure-rules-have-no-adapters', 'functions/domain/policy/index.ts', { 'functions/domain/policy/index.ts': importing('../ledger/ledger.js'), 'functions/domain/ledger/ledger.ts': exporting }],
      ['handlers-below-the-tools', 'functions/steps/notify/handler.ts', { 'functions/steps/notify/handler.ts': importing('../../../sandbox/aws/index.js'), 'sandbox/aws/index.ts': exporting }],
      [
        'handlers-load-the-compiled-registry',
        'functions/probe/handler.ts',
        { 'functions/probe/handler.ts': importing('../domain/manifest/age.js'), 'functions/domain/manifest/age.ts': importing('../registry/file.js'), 'functions/domain/registry/file.ts': exporting },
      ],
      ['stack-and-edge-below-the-tools', 'deploy/bundle.ts', { 'deploy/bundle.ts': importing('../sandbox/aws/config.js'), 'sandbox/aws/config.ts': exporting }],
      ['stack-and-edge-below-the-tools', 'edge/build.ts', { 'edge/build.ts': importing('../cli/args.js') }],
      ['edge-does-not-know-the-stack', 'edge/router.ts', { 'edge/router.ts': importing('../deploy/names.js'), 'deploy/names.ts': exporting }],
      ['sandbox-below-cli-and-bench', 'sandbox/drill/runner.ts', { 'sandbox/drill/runner.ts': importing('../../cli/args.js') }],
      ['tools-do-not-use-tests', 'bench/probe.bench.ts', { 'bench/probe.bench.ts': importing('../test/probe/fleet.js'), 'test/probe/fleet.ts': exporting }],
      ['no-circular', 'functions/domain/a.ts', { 'functions/domain/a.ts': importing('./b.js'), 'functions/domain/b.ts': importing('./a.js') }],
    ];
    const result = cruise('forbidden', Object.assign({}, ...violations.map(([, , files]) => files)) as Record<string, string>);
    expect(result.status).not.toBe(0);
    for (const [rule, from] of violations) expect(result.output).toMatch(new RegExp(`error ${rule}: ${from.replace(/\./g, '\\.')} →`));
  });
});
