/**
 * startSandbox(): a stateful local Dollr API for tests in any language. It wires the parts
 * (spec, validator, store, rules, faults, server) and owns the options' defaults. Loopback by
 * default; nothing (socket, timer) survives close().
 */
import { randomBytes } from 'node:crypto';
import { createControl } from './control.js';
import { loadDeps } from './deps.js';
import { FaultQueue } from './faults.js';
import { createDispatch } from './handlers.js';
import { executionStatus } from './lifecycle.js';
import type { SandboxConfig } from './reply.js';
import { Sampler, SANDBOX_PHONE } from './samples.js';
import { listen } from './server.js';
import { loadSpec } from './spec.js';
import { SandboxStore } from './store.js';
import type { Sandbox, SandboxExecution, SandboxOptions, SandboxOutcome } from './types.js';
import { SpecValidator } from './validation.js';

export type {
  ExecutionKind,
  ExecutionStatus,
  Sandbox,
  SandboxCredentials,
  SandboxExecution,
  SandboxFault,
  SandboxInjection,
  SandboxOptions,
  SandboxOutcome,
  SandboxPasscode,
} from './types.js';

const DEFAULTS = { settleAfterMs: 1500, tokenTtlMinutes: 60, sessionTtlMs: 15 * 60_000, maxRecords: 10_000 };

function positive(value: number | undefined, name: string, fallback: number, allowZero = false): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    throw new TypeError(`startSandbox: ${name} must be a ${allowZero ? 'non-negative' : 'positive'} number`);
  }
  return value;
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const config: SandboxConfig = {
    settleAfterMs: positive(options.settleAfterMs, 'settleAfterMs', DEFAULTS.settleAfterMs, true),
    tokenTtlMinutes: positive(options.tokenTtlMinutes, 'tokenTtlMinutes', DEFAULTS.tokenTtlMinutes),
    sessionTtlMs: positive(options.sessionTtlMs, 'sessionTtlMs', DEFAULTS.sessionTtlMs),
    verified: options.verified !== false,
    credentials: { ...(options.credentials ?? { clientId: 'sandbox-client', clientSecret: `sbx_secret_${randomBytes(18).toString('base64url')}` }) },
    passcode: { ...(options.passcode ?? { code: randomBytes(3).readUIntBE(0, 3).toString().padStart(6, '0').slice(-6), phone: SANDBOX_PHONE }) },
    merchant: { id: 1, type: 'ORGANIZATION', name: 'Sandbox Merchant Ltd', walletId: 1001, email: 'merchant@example.com' },
  };
  const maxRecords = positive(options.maxRecords, 'maxRecords', DEFAULTS.maxRecords);
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new TypeError('startSandbox: port must be an integer from 0 to 65535');

  const [deps, spec] = await Promise.all([loadDeps(), loadSpec(options.spec)]);
  const validator = new SpecValidator(spec, deps);
  const sampler = new Sampler(spec.document, deps.sample, validator);
  const store = new SandboxStore(Math.floor(maxRecords));
  const faults = new FaultQueue();

  const executions = (): SandboxExecution[] => {
    const now = Date.now();
    return [...store.executions.values()].map((e) => ({
      kind: e.kind,
      referenceId: e.referenceId,
      body: structuredClone(e.body),
      status: executionStatus(e, store, config, now),
      sends: store.sends.get(e.referenceId) ?? 0,
    }));
  };
  const setOutcome = (referenceId: string, outcome: SandboxOutcome): void => {
    if (typeof referenceId !== 'string' || referenceId === '') throw new TypeError('setOutcome: referenceId must be a non-empty string');
    if (outcome?.status !== 'COMPLETED' && outcome?.status !== 'FAILED') throw new TypeError("setOutcome: status must be 'COMPLETED' or 'FAILED'");
    if (outcome.message !== undefined && typeof outcome.message !== 'string') throw new TypeError('setOutcome: message must be a string');
    store.outcomes.set(referenceId, { status: outcome.status, ...(outcome.message === undefined ? {} : { message: outcome.message }) });
  };
  const reset = (): void => {
    store.clear();
    faults.clear();
  };

  const host = options.host ?? '127.0.0.1';
  let url = '';
  const control = createControl({
    inject: (injection) => faults.add(injection),
    setOutcome,
    executions,
    reset,
    info: () => ({
      url,
      credentials: config.credentials,
      passcode: config.passcode,
      settleAfterMs: config.settleAfterMs,
      tokenTtlMinutes: config.tokenTtlMinutes,
      sessionTtlMs: config.sessionTtlMs,
      pendingFaults: faults.pending(),
    }),
  });
  const server = await listen({ spec, validator, store, faults, dispatch: createDispatch(store, config, sampler), control }, host, port);
  url = `http://${host.includes(':') ? `[${host}]` : host}:${server.port}`;

  return {
    url,
    credentials: Object.freeze({ ...config.credentials }),
    passcode: Object.freeze({ ...config.passcode }),
    inject: (injection) => faults.add(injection),
    setOutcome,
    executions,
    reset,
    close: () => server.close(),
  };
}
