// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Layers of src/, lowest first: a module may import its own layer and those below it. */
const layer = (files, forbidden) => ({
  files,
  rules: {
    'no-restricted-imports': [
      'error',
      { patterns: forbidden.map((group) => ({ group: [group], message: 'src/ layers: core <- helpers <- client/index; testing and batch on top' })) },
    ],
  },
});

export default tseslint.config(
  { ignores: ['dist/', 'coverage/', 'node_modules/', 'src/generated/', 'bench/results/', '.cache/', 'api-docs/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  // core/ depends on nothing above it; helpers/ build on core only; neither reaches testing/ or batch/.
  layer(['src/core/**'], ['**/helpers/**', '**/testing/**', '**/batch/**', '../client.js', '../index.js']),
  layer(['src/helpers/**'], ['**/testing/**', '**/batch/**', '../client.js', '../index.js']),
  // batch/ sits on top of core, helpers and the client; it never reaches the testing kit, and nothing below reaches it.
  layer(['src/batch/**'], ['**/testing/**']),
  layer(['src/client.ts', 'src/index.ts', 'src/testing/**'], ['**/batch/**', './batch/**']),
);
