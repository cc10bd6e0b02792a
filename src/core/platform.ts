/**
 * Runtime quirks, in one place: what differs between Node (undici), Deno, Bun and browsers
 * and the limits of the platform's timers. Nothing else in core names a runtime.
 */

/** setTimeout's ceiling: a longer delay overflows to ~1 ms in Node and browsers. */
export const MAX_TIMER_MS = 2_147_483_647;

/** A delay `setTimeout` can hold: never negative, never past its ceiling (Infinity included). */
export function clampTimer(ms: number): number {
  return ms > MAX_TIMER_MS ? MAX_TIMER_MS : ms > 0 ? ms : 0;
}

/**
 * Deno's fetch silently re-sends a request when the reused keep-alive connection it went out
 * on closes before the answer: one payout call could reach the API twice. On Deno, executions
 * go through a client that keeps no idle connection, so each has a connection of its own.
 */
let denoClient: object | false | undefined;
export function ownConnection(): object | undefined {
  if (denoClient === undefined) {
    denoClient = (globalThis as { Deno?: { createHttpClient?(o: object): object } }).Deno?.createHttpClient?.({ poolMaxIdlePerHost: 0 }) ?? false;
  }
  return denoClient || undefined;
}

/**
 * Why fetch refused to send a request at all, in words, or `undefined` when the failure may
 * have happened on the wire. undici rejects a blocked port ("bad port", its copy of the
 * Fetch standard's list: 1, 6000, 10080, ...), an unknown scheme, an unparsable URL or one
 * with credentials before opening any connection. The URL itself is never quoted: it may
 * hold credentials.
 */
export function fetchRefusal(error: unknown): string | undefined {
  for (let e = error as { message?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 4; e = e.cause as typeof e, depth++) {
    const message = String(e.message);
    if (/\bbad port\b|port .*(blocked|restricted)/i.test(message)) return 'fetch refused the port (on the Fetch blocked-port list)';
    if (/^(unknown scheme|Failed to parse URL|Invalid URL)|includes credentials/i.test(message)) return 'fetch refused the URL';
  }
  return undefined;
}

/** A response the runtime produced for a redirect it did not follow (`redirect: 'manual'`). */
export function isRedirect(response: Response): boolean {
  // Browsers hand back an opaque redirect (status 0); undici, Deno and Bun the 3xx itself.
  // `redirected` means a custom fetch followed one despite `redirect: 'manual'`.
  return response.type === 'opaqueredirect' || (response.status >= 300 && response.status < 400) || response.redirected;
}
