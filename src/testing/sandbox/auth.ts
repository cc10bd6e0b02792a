/**
 * Tokens as Dollr issues them: the client-credentials grant returns `{access_token, expires_in}`
 * with `expires_in` in whole minutes (at least 1, even when tests ask for a fractional TTL), and
 * every secured call needs `Authorization: Bearer <token>`. A missing bearer reads
 * "Not authenticated"; a wrong or expired one "Could not validate credentials", both 401.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { asRecord, ok, unauthorized } from './reply.js';
import type { Reply, SandboxConfig } from './reply.js';
import type { SandboxStore } from './store.js';

export function issueToken(store: SandboxStore, config: SandboxConfig, body: unknown, now: number): Reply {
  const { client_id, client_secret } = asRecord(body);
  if (!same(client_id, config.credentials.clientId) || !same(client_secret, config.credentials.clientSecret)) {
    return unauthorized('Could not validate credentials');
  }
  const token = `sbx_${randomBytes(24).toString('base64url')}`;
  store.tokens.set(token, now + config.tokenTtlMinutes * 60_000);
  return ok({ access_token: token, expires_in: Math.max(1, Math.floor(config.tokenTtlMinutes)) });
}

/** undefined when the request may proceed, else the 401 to answer. */
export function checkBearer(store: SandboxStore, header: string | undefined, now: number): Reply | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  if (!match?.[1]) return unauthorized('Not authenticated');
  const expiresAt = store.tokens.get(match[1]);
  if (expiresAt === undefined || now >= expiresAt) return unauthorized('Could not validate credentials');
  return undefined;
}

// Constant-time comparison: the sandbox should not teach timing-leaky habits.
function same(given: unknown, expected: string): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
