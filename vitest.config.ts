import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One real Prism process for the whole run; tests read its URL with inject('prismUrl').
    globalSetup: ['test/setup/prism.ts'],
    // Type tests (test/**/*.test-d.ts) are compiled once, by `npm run typecheck` (tsc over
    // tsconfig.json, which includes test/): a failed expectTypeOf, or an expect-error
    // directive with no error under it, fails that step. Vitest running tsc again only repeated it.
    testTimeout: 20_000,
    hookTimeout: 60_000,
  },
});
