#!/usr/bin/env node
/**
 * `dollr-sandbox`: the sandbox as a process, for test suites in any language. It prints the URL,
 * the sandbox's own (made-up) credentials and passcode, and the control surface, then serves
 * until SIGINT or SIGTERM, when it closes cleanly and exits 0, or until the process that
 * started it dies (npx's wrapper does not pass `kill` on): it is reparented, and it exits, so
 * no orphan keeps the port. Bound beyond loopback it warns and prints the control token.
 */
import { parseArgs } from 'node:util';
import { isLoopback } from './sandbox/guard.js';
import { startSandbox } from './sandbox/index.js';
import type { SandboxOptions } from './sandbox/index.js';

const HELP = `Usage: dollr-sandbox [options]

A stateful local Dollr API (every operation of openapi.json) with fault injection.

Options:
  --port <n>                 port to listen on (default 4010; 0 picks a free one)
  --host <addr>              interface to bind (default 127.0.0.1)
  --settle-after-ms <n>      time from an execution to its final status (default 1500)
  --token-ttl-minutes <n>    token lifetime in minutes, fractions allowed (default 60)
  --session-ttl-ms <n>       session lifetime (default 900000)
  --spec <path>              OpenAPI document (JSON) to serve (default: the package's openapi.json)
  --client-id <id>           client id the token endpoint accepts (default sandbox-client)
  --client-secret <secret>   client secret it accepts (default: random; also DOLLR_SANDBOX_CLIENT_SECRET)
  --passcode <code>          payout passcode code (default: random; also DOLLR_SANDBOX_PASSCODE)
  --phone <digits>           payout passcode phone (default 231771234567)
  --unverified               act as a merchant not fully verified (payouts and refunds get 403)
  --control-token <token>    bearer token the control surface needs off loopback (default: random; also DOLLR_SANDBOX_CONTROL_TOKEN)
  --allow-host <name>        also accept this Host header (repeatable), e.g. a Docker service name
  --json                     print one JSON line ({url, credentials, passcode, control}) instead of text
  -h, --help                 show this help

Control surface (JSON): GET /_sandbox, POST /_sandbox/inject, POST /_sandbox/outcomes,
GET /_sandbox/executions, GET /_sandbox/requests, POST /_sandbox/reset. See docs/sandbox.md.
The sandbox exits when the process that started it exits.`;

// How often the sandbox checks that the process that started it is still there.
const PARENT_POLL_MS = 250;

function number(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new Error(`${flag} must be a number`);
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'settle-after-ms': { type: 'string' },
      'token-ttl-minutes': { type: 'string' },
      'session-ttl-ms': { type: 'string' },
      spec: { type: 'string' },
      'client-id': { type: 'string' },
      'client-secret': { type: 'string' },
      passcode: { type: 'string' },
      phone: { type: 'string' },
      json: { type: 'boolean' },
      unverified: { type: 'boolean' },
      'control-token': { type: 'string' },
      'allow-host': { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const secret = values['client-secret'] ?? process.env.DOLLR_SANDBOX_CLIENT_SECRET;
  const code = values.passcode ?? process.env.DOLLR_SANDBOX_PASSCODE;
  const options: SandboxOptions = {
    port: number(values.port, '--port') ?? 4010,
    ...(values.host ? { host: values.host } : {}),
    ...(values.spec ? { spec: values.spec } : {}),
    ...(values.unverified ? { verified: false } : {}),
    ...(values['allow-host'] ? { allowedHosts: values['allow-host'] } : {}),
  };
  const controlToken = values['control-token'] ?? process.env.DOLLR_SANDBOX_CONTROL_TOKEN;
  if (controlToken) options.controlToken = controlToken;
  const settle = number(values['settle-after-ms'], '--settle-after-ms');
  const ttl = number(values['token-ttl-minutes'], '--token-ttl-minutes');
  const sessionTtl = number(values['session-ttl-ms'], '--session-ttl-ms');
  if (settle !== undefined) options.settleAfterMs = settle;
  if (ttl !== undefined) options.tokenTtlMinutes = ttl;
  if (sessionTtl !== undefined) options.sessionTtlMs = sessionTtl;
  if (values['client-id'] || secret) {
    options.credentials = { clientId: values['client-id'] ?? 'sandbox-client', clientSecret: secret ?? '' };
    if (!secret) throw new Error('--client-id needs --client-secret (or DOLLR_SANDBOX_CLIENT_SECRET)');
  }
  if (code || values.phone) {
    if (!code) throw new Error('--phone needs --passcode (or DOLLR_SANDBOX_PASSCODE)');
    options.passcode = { code, phone: values.phone ?? '231771234567' };
  }

  const parent = process.ppid;
  const sandbox = await startSandbox(options);
  const control = `${sandbox.url}/_sandbox`;
  // Ready to stop before saying ready: a starter may send SIGINT the moment it reads the banner.
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    sandbox.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const exposed = !isLoopback(options.host ?? '127.0.0.1');
  if (exposed) {
    console.error(
      `dollr-sandbox: WARNING: listening on ${options.host ?? ''}, beyond loopback. Anyone who can reach it can use the ` +
        'sandbox API; the control surface needs the control token printed below.',
    );
  }
  // These are the sandbox's own test values, printed so other languages can use them.
  if (values.json) {
    console.log(
      JSON.stringify({
        url: sandbox.url,
        credentials: sandbox.credentials,
        passcode: sandbox.passcode,
        control,
        ...(exposed ? { control_token: sandbox.controlToken } : {}),
      }),
    );
  } else {
    console.log(
      [
        `Dollr sandbox listening on ${sandbox.url}`,
        `  client_id      ${sandbox.credentials.clientId}`,
        `  client_secret  ${sandbox.credentials.clientSecret}`,
        `  passcode code  ${sandbox.passcode.code}`,
        `  passcode phone ${sandbox.passcode.phone}`,
        `  control        ${control} (inject, outcomes, executions, requests, reset)`,
        ...(exposed ? [`  control token  ${sandbox.controlToken} (send authorization: Bearer <token> to ${control})`] : []),
        'Stop with Ctrl+C.',
      ].join('\n'),
    );
  }

  // Reparented means the starter died (npx killed, a shell gone): exit rather than hold the port.
  setInterval(() => {
    if (process.ppid !== parent) stop();
  }, PARENT_POLL_MS).unref();
}

main().catch((error: unknown) => {
  console.error(`dollr-sandbox: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
