// Entry point of the `${file(./deploy/serverless.cjs):<name>}` variables in serverless.yml.
// osls resolves JS variable files with require() and only for .js/.cjs names; the deploy code is TypeScript
// (it reuses the registry schema of functions/domain), so this shim loads it through tsx's require API —
// the same loader osls itself uses for serverless.ts.
/* eslint-disable @typescript-eslint/no-require-imports -- osls requires this file; CommonJS on purpose */
const { require: tsxRequire } = require('tsx/cjs/api');

module.exports = tsxRequire('./variables.ts', __filename).serverlessVariables;
