import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One real Prism process for the whole run; tests read its URL with inject('prismUrl').
    globalSetup: ['test/setup/prism.ts'],
    // Type tests are compiled by tsc (npm run typecheck), and also checked here.
    typecheck: { enabled: true, include: ['test/**/*.test-d.ts'], tsconfig: './tsconfig.json' },
    testTimeout: 20_000,
    hookTimeout: 60_000,
  },
});
