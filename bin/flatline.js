#!/usr/bin/env node
// The CLI is TypeScript run through tsx, so the CLI, the sandbox and the Lambda bundles share one source.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
process.env.SLS_TELEMETRY_DISABLED ??= '1';
const { register } = await import('tsx/esm/api');
register();
await import('../sandbox/polyfills.ts');
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
