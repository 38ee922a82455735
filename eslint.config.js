import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', '.serverless/', '.esbuild/', 'dist/', 'reports/', 'edge/dist/', 'coverage/'] },
  js.configs.recommended,
  // Type-aware: the rules see what tsc sees (tsconfig.json), so a promise nobody awaits, a promise passed
  // where a callback's result is ignored, or a thenable awaited by mistake is an error.
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
      globals: { process: 'readonly', console: 'readonly', URL: 'readonly' },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      // The two this configuration is for (both in recommendedTypeChecked; stated so they stay errors):
      // a deliberate fire-and-forget is written `void p` next to a comment saying where its errors go.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      // Off: methods that implement a Promise-returning contract (fakes, sandbox services, bench sections)
      // are async without awaiting anything; the rule would only trade `async` for Promise.resolve() noise.
      '@typescript-eslint/require-await': 'off',
      // Off outside functions/ (on again below): the edge router calls the CloudFront Functions runtime's
      // `cloudfront` module, which has no types, and the sandbox and tests handle parsed wire bodies and
      // fixtures as loosely typed on purpose. These rules would flag each use, not a defect.
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    // The Lambda code: every value that crosses a boundary is parsed (zod) into a type, so an `any` that
    // reaches a call or a property access here is a defect.
    files: ['functions/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-argument': 'error',
      '@typescript-eslint/no-unsafe-assignment': 'error',
      '@typescript-eslint/no-unsafe-call': 'error',
      '@typescript-eslint/no-unsafe-member-access': 'error',
      '@typescript-eslint/no-unsafe-return': 'error',
      'no-restricted-syntax': [
        'error',
        {
          selector: "ImportDeclaration[source.value='zod'][importKind='value'] > ImportSpecifier[imported.name='z']",
          message:
            "import * as z from 'zod': esbuild tree-shakes a namespace import, while the `z` object keeps all of zod in the bundle (~100 KB more per Lambda).",
        },
      ],
    },
  },
  {
    // Not part of tsconfig.json (CommonJS shims that osls/serverless-esbuild require, the CLI launcher,
    // configuration files): linted without type information.
    files: ['**/*.js', '**/*.cjs', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    files: ['**/*.cjs'],
    // CommonJS scope: require, module and exports, plus the module wrapper's file and directory names.
    languageOptions: { sourceType: 'commonjs', globals: { __filename: 'readonly', __dirname: 'readonly' } },
  },
);
