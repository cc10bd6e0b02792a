/**
 * startSandbox(): a stateful local Dollr API for tests in any language. It wires the parts
 * (spec, validator, store, rules, faults, guard, server) and owns the options' defaults.
 * Loopback by default; nothing (socket, timer) survives close(). A record that cannot be
 * copied never breaks executions(): it is listed without its body.
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
import { refKey } from './store.js';
import type { Sandbox, SandboxExecution, SandboxOptions, SandboxOutcome, SandboxRequest } from './types.js';
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
  SandboxPath,
  SandboxRequest,
} from './types.js';

const DEFAULTS = { settleAfterMs: 1500, tokenTtlMinutes: 60, sessionTtlMs: 15 * 60_000, maxRecords: 10_000 };

function positive(value: number | undefined, name: string, fallback: number, allowZero = false): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    throw new TypeError(`startSandbox: ${name} must be a ${allowZero ? 'non-negative' : 'positive'} number`);
  }
  return value;
}

function copy(body: Record<string, unknown>): Record<string, unknown> {
  try {
    return structuredClone(body);
  } catch {
    return {};
  }
}

/** Starts a stateful local Dollr API with fault injection on loopback (see docs/sandbox.md). */
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
  const faults = new FaultQueue(spec);

  const executions = (): SandboxExecution[] => {
    const now = Date.now();
    return [...store.executions.values()].map((e) => ({
      kind: e.kind,
      referenceId: e.referenceId,
      body: copy(e.body),
      status: executionStatus(e, store, config, now),
      sends: store.sends.get(refKey(e.referenceId)) ?? 0,
    }));
  };
  const requests = (): SandboxRequest[] => [...store.requests.values()].map((r) => ({ ...r }));
  const setOutcome = (referenceId: string, outcome: SandboxOutcome): void => {
    if (typeof referenceId !== 'string' || referenceId === '') throw new TypeError('setOutcome: referenceId must be a non-empty string');
    if (outcome?.status !== 'COMPLETED' && outcome?.status !== 'FAILED') throw new TypeError("setOutcome: status must be 'COMPLETED' or 'FAILED'");
    if (outcome.message !== undefined && (typeof outcome.message !== 'string' || outcome.message.length > 1000)) {
      throw new TypeError('setOutcome: message must be a string of at most 1000 characters');
    }
    if (referenceId.length > 100) throw new TypeError('setOutcome: referenceId must be a reference id (a UUID)');
    store.outcomes.set(refKey(referenceId), { status: outcome.status, ...(outcome.message === undefined ? {} : { message: outcome.message }) });
  };
  const reset = (): void => {
    store.clear();
    faults.clear();
  };

  const host = options.host ?? '127.0.0.1';
  const controlToken = options.controlToken ?? `sbx_control_${randomBytes(18).toString('base64url')}`;
  if (typeof controlToken !== 'string' || controlToken.length < 16 || /\s/.test(controlToken)) {
    throw new TypeError('startSandbox: controlToken must be at least 16 characters without spaces');
  }
  const allowedHosts = options.allowedHosts ?? [];
  if (!Array.isArray(allowedHosts) || !allowedHosts.every((h) => typeof h === 'string' && h !== '')) {
    throw new TypeError('startSandbox: allowedHosts must be an array of host names');
  }
  let url = '';
  const control = createControl({
    inject: (injection) => faults.add(injection),
    setOutcome,
    executions,
    requests,
    reset,
    // snake_case like the API, so other languages use the names they send.
    info: () => ({
      url,
      client_id: config.credentials.clientId,
      client_secret: config.credentials.clientSecret,
      passcode: { code: config.passcode.code, phone: config.passcode.phone },
      settle_after_ms: config.settleAfterMs,
      token_ttl_minutes: config.tokenTtlMinutes,
      session_ttl_ms: config.sessionTtlMs,
      pending_faults: faults.pending(),
    }),
  });
  const guard = { boundHost: host, allowedHosts: [...allowedHosts], controlToken };
  const server = await listen({ spec, validator, store, faults, dispatch: createDispatch(store, config, sampler), control, guard }, host, port);
  url = `http://${host.includes(':') ? `[${host}]` : host}:${server.port}`;

  return {
    url,
    credentials: Object.freeze({ ...config.credentials }),
    passcode: Object.freeze({ ...config.passcode }),
    controlToken,
    inject: (injection) => faults.add(injection),
    setOutcome,
    executions,
    requests,
    reset,
    close: () => server.close(),
  };
}
