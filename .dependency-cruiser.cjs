// The dependency direction of the tree, checked by `npm test` (depcruise). From the bottom up:
//   1. functions/domain (pure rules; their adapters in files of their own)
//   2. functions/<handler>, functions/steps/*, functions/lib
//   3. statemachines, edge, deploy
//   4. sandbox (the one AWS fake, the media world, the drills' engine and testkit), cli, bench
//   test sits above everything.
// Arrows point down this list, never up.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'domain-is-the-bottom',
      comment: 'functions/domain knows nothing of Lambda handlers, the CLI, the sandbox, the stack, the edge, benches or tests.',
      severity: 'error',
      from: { path: '^functions/domain/' },
      to: { path: '^(functions/(?!domain/)|cli/|sandbox/|deploy/|edge/|bench/|test/|statemachines/)' },
    },
    {
      name: 'pure-rules-have-no-adapters',
      comment: 'The policy and the ledger rules are pure: no DynamoDB adapter, no AWS client, no AWS SDK.',
      severity: 'error',
      from: { path: '^functions/domain/(policy/|ledger/rules\\.ts)' },
      to: { path: '^(functions/domain/(ledger/ledger\\.ts|aws/)|node_modules/@aws-sdk/)' },
    },
    {
      name: 'handlers-below-the-tools',
      comment: 'Lambda handlers use the domain only; never the stack, the edge build, the sandbox, the CLI, benches or tests.',
      severity: 'error',
      from: { path: '^functions/' },
      to: { path: '^(cli|sandbox|deploy|edge|bench|test)/' },
    },
    {
      name: 'handlers-load-the-compiled-registry',
      comment:
        'Lambda handlers load the registry compiled to JSON (functions/domain/registry/index.ts): the YAML reader (registry/file.ts) and the yaml package stay out of their bundles.',
      severity: 'error',
      from: { path: '^functions/(?!domain/)' },
      to: { path: '^(functions/domain/registry/file\\.ts$|node_modules/yaml/)', reachable: true },
    },
    {
      name: 'stack-and-edge-below-the-tools',
      comment: 'statemachines, edge and deploy never reach up to the sandbox, the CLI, benches or tests.',
      severity: 'error',
      from: { path: '^(statemachines|edge|deploy)/' },
      to: { path: '^(sandbox|cli|bench|test)/' },
    },
    {
      name: 'edge-does-not-know-the-stack',
      comment: 'deploy packages the edge function; the edge never imports deploy.',
      severity: 'error',
      from: { path: '^edge/' },
      to: { path: '^deploy/' },
    },
    {
      name: 'sandbox-below-cli-and-bench',
      comment: 'The sandbox is used by the CLI, benches and tests, never the other way round.',
      severity: 'error',
      from: { path: '^sandbox/' },
      to: { path: '^(cli|bench|test)/' },
    },
    {
      name: 'tools-do-not-use-tests',
      comment: 'What a bench or the CLI needs from a test fixture belongs in sandbox/testkit.',
      severity: 'error',
      from: { path: '^(cli|bench)/' },
      to: { path: '^test/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|\\.serverless|\\.esbuild|dist|reports|edge/dist|coverage)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'], extensions: ['.ts', '.js', '.cjs', '.mjs', '.json'] },
  },
};
