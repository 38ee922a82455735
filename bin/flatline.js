#!/usr/bin/env node
// The CLI is TypeScript run through tsx, so the CLI, the sandbox and the Lambda bundles share one source.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
process.env.SLS_TELEMETRY_DISABLED ??= '1';
// The handlers run in-process here: their EMF metrics and JSON logs belong to Lambda, not to a terminal.
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
const { register } = await import('tsx/esm/api');
register();
await import('../sandbox/polyfills.ts');
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
