/**
 * A place where several clients (processes, machines) share one access token, so a fleet asks
 * the token endpoint once per token lifetime instead of once per process each. The contract is a
 * single flight: `refresh` calls `obtain` only when no fresh token other than `stale` is
 * stored, and at most one caller across everything sharing the store runs `obtain` at a time.
 * Runtime-neutral: no `node:` import; `memoryTokenStore` shares between the clients of one process only.
 */

/** A token as the client caches it: epoch milliseconds; `Infinity` when the lifetime is unknown. */
export interface SharedToken {
  /** The bearer token itself: a secret, like the client secret that obtained it. */
  value: string;
  /** After this the token is refused. */
  expiresAt: number;
  /** From this a new token should be obtained (5 minutes before expiry, or at half-life). */
  refreshAt: number;
}

/**
 * Where clients sharing one access token keep it: pass one to `createDollrClient({ tokenStore })`
 * (with client credentials). `memoryTokenStore()` shares within a process; `sqlTokenStore` from
 * `dollr-client/batch` shares through Postgres across processes and machines.
 */
export interface TokenStore {
  /**
   * The stored token if it is still before its `refreshAt` and is not `stale` (a token that was
   * just refused with a 401); otherwise the result of `obtain()`, stored for everyone. Runs
   * `obtain` for at most one caller at a time across every client sharing the store: the others
   * wait and get the token it stored. If `obtain` throws, nothing is stored and it rethrows.
   */
  refresh(obtain: () => Promise<SharedToken>, stale: string | undefined): Promise<SharedToken>;
}

/** A TokenStore for the clients of one process (tests, or several clients in one service). */
export function memoryTokenStore(): TokenStore {
  let stored: SharedToken | undefined;
  let inflight: Promise<SharedToken> | undefined;
  return {
    async refresh(obtain, stale) {
      for (;;) {
        if (stored !== undefined && stored.value !== stale && Date.now() < stored.refreshAt) return stored;
        if (inflight === undefined) {
          inflight = obtain().then(
            (token) => ((stored = token), token),
          ).finally(() => {
            inflight = undefined;
          });
          return inflight;
        }
        // Someone else is obtaining: wait for them, then look again (their token, or our turn).
        await inflight.catch(() => undefined);
      }
    },
  };
}
