import type { TestProject } from 'vitest/node';
import { startMockServer } from '../../src/testing/index.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Base URL of the Prism mock started from openapi.json for this run. */
    prismUrl: string;
  }
}

// One real Prism process for the whole run, started from the committed openapi.json.
// If Prism cannot start, startMockServer rejects with Prism's output and the run fails.
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const mock = await startMockServer();
  project.provide('prismUrl', mock.url);
  return () => mock.close();
}
