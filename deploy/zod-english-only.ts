// esbuild plugin of the Lambda bundles (serverless.yml custom.esbuild.plugins, via esbuild-plugins.cjs).
import { dirname, join } from 'node:path';
import type { Plugin } from 'esbuild';

/**
 * zod 4's `z` and `z.core` namespaces re-export every locale (`z.locales`, ~250 KB minified of the ~460 KB zod puts in
 * each bundle). flatline's messages are English and nothing reads `z.locales`, so the bundle gets a
 * locales module with English only; `z` itself still configures English errors from locales/en.js.
 */
export const zodEnglishOnly: Plugin = {
  name: 'flatline-zod-english-only',
  setup(build) {
    build.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) => {
      if (!/[\\/]zod[\\/]v4[\\/](classic|core)[\\/]/.test(args.importer)) return undefined;
      return { path: join(dirname(args.importer), '..', 'locales', 'index.js'), namespace: 'zod-english-only' };
    });
    build.onLoad({ filter: /.*/, namespace: 'zod-english-only' }, (args) => ({
      contents: 'export { default as en } from "./en.js";',
      resolveDir: dirname(args.path),
      loader: 'js',
    }));
  },
};
