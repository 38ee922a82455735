// serverless-esbuild `plugins:` file: it require()s this path and expects an array of esbuild plugins.
// The plugins are TypeScript, loaded through tsx like serverless.cjs; bench/coldstart.bench.ts uses this file too.
/* eslint-disable @typescript-eslint/no-require-imports -- serverless-esbuild requires this file; CommonJS on purpose */
const { require: tsxRequire } = require('tsx/cjs/api');

module.exports = [tsxRequire('./sdk-schema-keys.ts', __filename).sdkSchemaLiteralKeys];
