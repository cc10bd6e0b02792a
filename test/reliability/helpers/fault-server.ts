// No server here any more: the reliability suites run against the sandbox
// (helpers/dollr-sandbox.ts) and, for what no Dollr does, helpers/hostile-server.ts.
// Only the names hostile.test.ts still imports from this path remain, re-exported; once that
// file imports them from './secrets.js' and './dollr-sandbox.js', delete this file.
export { TOKEN_PATH } from './dollr-sandbox.js';
export { TOKEN_PREFIX } from './secrets.js';
