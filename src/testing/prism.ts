/**
 * dollr-client/testing: contract-test your payout code against a real Prism mock of
 * the Dollr spec. Dollr has no sandbox, so this is the closest thing to one.
 *
 * Node-only (it spawns a process); the main entry stays runtime-neutral.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

/** Options of startMockServer(). */
export interface MockServerOptions {
  /** OpenAPI document to serve (path or file URL). Default: the package's own openapi.json. */
  spec?: string | URL;
  /** Generate response data from the schemas instead of returning static examples. */
  dynamic?: boolean;
  /**
   * Run Prism's validation proxy in front of this upstream URL instead of a mock.
   * Requests and responses are checked against the spec; a response that breaks
   * the contract comes back to the caller as an error response (Prism `--errors`),
   * so it cannot go unnoticed.
   */
  proxy?: string;
  /** Milliseconds to wait for Prism to answer. Default 30000. */
  startTimeoutMs?: number;
}

/** A running Prism process, from startMockServer(). */
export interface MockServer {
  /** Base URL to pass as `baseUrl`, e.g. `http://127.0.0.1:43123`. */
  readonly url: string;
  /** Everything Prism has printed so far (request logs, violations), last 64 KiB. */
  output(): string;
  /**
   * Contract violations Prism has logged so far, one line each: in mock mode
   * `request.body Request body must have required property 'passcode'`; in proxy
   * mode `post /v1/executions/payout: Request/Response not valid` (the caller got a
   * 500 whose body and `sl-violations` header list the details).
   */
  violations(): string[];
  /** Stops Prism and waits for the process to exit. Safe to call twice. */
  close(): Promise<void>;
}

const PRISM_PACKAGE = '@stoplight/prism-cli';
const OUTPUT_LIMIT = 64 * 1024;

/** Starts Prism on a free 127.0.0.1 port and resolves once it answers HTTP. */
export async function startMockServer(options: MockServerOptions = {}): Promise<MockServer> {
  const bin = resolvePrismBin();
  const spec = options.spec ?? new URL('../../openapi.json', import.meta.url);
  const specPath = spec instanceof URL ? fileURLToPath(spec) : spec;
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;

  const args = options.proxy
    ? ['proxy', specPath, options.proxy, '--errors']
    : ['mock', specPath, ...(options.dynamic ? ['--dynamic'] : [])];
  args.push('--host', '127.0.0.1', '--port', String(port));

  const child = spawn(process.execPath, [bin, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' },
  });
  let output = '';
  let partialLine = '';
  const violations: string[] = [];
  const collect = (chunk: Buffer): void => {
    const text = chunk.toString('utf8');
    output = (output + text).slice(-OUTPUT_LIMIT);
    // Violations are kept whole (output is capped) so a long proxy session loses none.
    const lines = (partialLine + text).split('\n');
    partialLine = lines.pop() ?? '';
    for (const line of lines) {
      const violation = parseViolation(line);
      if (violation) violations.push(violation);
    }
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  try {
    await waitUntilAnswering(url, child, options.startTimeoutMs ?? 30_000);
  } catch (error) {
    await stop(child, exited);
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`Prism mock server did not start: ${reason}\n--- Prism output ---\n${output.trim()}`);
  }

  let closing: Promise<void> | undefined;
  return {
    url,
    output: () => output,
    violations: () => [...violations],
    close: () => (closing ??= stop(child, exited)),
  };
}

// Mock mode logs each violation; proxy mode with --errors logs one line per rejected
// exchange (the details go to the caller in the 500 body and `sl-violations` header).
const VIOLATION_DETAIL = /Violation: (.+)$/;
const VIOLATION_SUMMARY = /\[HTTP SERVER\] (\S+ \S+) .*#VIOLATIONS: (.+)$/;

function parseViolation(line: string): string | undefined {
  const detail = VIOLATION_DETAIL.exec(line);
  if (detail?.[1]) return detail[1].trim();
  const summary = VIOLATION_SUMMARY.exec(line);
  if (summary?.[1] && summary[2]) return `${summary[1]}: ${summary[2].trim()}`;
  return undefined;
}

function resolvePrismBin(): string {
  const require = createRequire(import.meta.url);
  try {
    return require.resolve(`${PRISM_PACKAGE}/dist/index.js`);
  } catch {
    throw new Error(
      `startMockServer needs ${PRISM_PACKAGE}, an optional peer dependency: ` +
        `npm install --save-dev ${PRISM_PACKAGE}@5.14.2`,
    );
  }
}

/** Asks the OS for a free loopback port. Prism binds it a moment later. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('could not get a free port'));
      });
    });
  });
}

async function waitUntilAnswering(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`Prism exited early (code ${child.exitCode ?? child.signalCode})`);
    }
    try {
      // Any HTTP answer (even 404) means the server is up.
      const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      await response.body?.cancel();
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`no answer on ${url} within ${timeoutMs} ms`);
}

async function stop(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
  await exited;
  clearTimeout(timer);
}
