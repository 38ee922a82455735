import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', '.serverless/', '.esbuild/', 'dist/', 'reports/', 'edge/dist/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // Imports point down the layers: edge/ sits below deploy/, sandbox/, cli/ and bench/ and takes only from
    // functions/domain.
    files: ['edge/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['../cli/*', '../sandbox/*', '../deploy/*', '../bench/*', '../statemachines/*'], message: 'edge/ depends only on functions/domain' }] },
      ],
    },
  },
);
