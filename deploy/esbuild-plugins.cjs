// serverless-esbuild `plugins:` file: it require()s this path and expects an array of esbuild plugins.
// The plugins are TypeScript (zod-english-only.ts), loaded through tsx like serverless.cjs.
/* eslint-disable @typescript-eslint/no-require-imports -- serverless-esbuild requires this file; CommonJS on purpose */
const { require: tsxRequire } = require('tsx/cjs/api');

module.exports = tsxRequire('./zod-english-only.ts', __filename).esbuildPlugins;
