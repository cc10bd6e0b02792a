/**
 * Injected faults apply to the next matching requests, in the order they were injected, each
 * for `times` requests. Only API requests are matched: the control surface (/_sandbox) never
 * fails, so a test can always inspect and reset the sandbox.
 */
import type { SandboxFault, SandboxInjection } from './types.js';

// Pending rules are few in practice; the cap keeps a runaway script from growing memory.
const MAX_PENDING_RULES = 1_000;

interface Rule {
  method: string | undefined;
  path: RegExp | string;
  fault: SandboxFault;
  remaining: number;
}

export class FaultQueue {
  private rules: Rule[] = [];

  /** Validates and queues an injection; throws TypeError with the reason when it is malformed. */
  add(injection: SandboxInjection): void {
    if (typeof injection !== 'object' || injection === null) throw new TypeError('inject() needs { path, fault }');
    const { method, path, fault, times = 1 } = injection;
    if (method !== undefined && (typeof method !== 'string' || method === '')) throw new TypeError('inject: method must be a non-empty string');
    if (!(path instanceof RegExp) && (typeof path !== 'string' || !path.startsWith('/'))) {
      throw new TypeError("inject: path must be a RegExp or a string starting with '/'");
    }
    if (!Number.isInteger(times) || times < 1) throw new TypeError('inject: times must be a positive integer');
    checkFault(fault);
    if (this.rules.length >= MAX_PENDING_RULES) throw new RangeError(`inject: more than ${MAX_PENDING_RULES} faults pending; reset() first`);
    this.rules.push({
      method: method?.toUpperCase(),
      path: typeof path === 'string' && path.includes('{') ? templateRegExp(path) : path,
      fault,
      remaining: times,
    });
  }

  /** The fault for this request, if any rule matches; consumes one use of that rule. */
  take(method: string, pathname: string): SandboxFault | undefined {
    const index = this.rules.findIndex(
      (rule) =>
        (rule.method === undefined || rule.method === method) &&
        (typeof rule.path === 'string' ? rule.path === pathname : matches(rule.path, pathname)),
    );
    if (index === -1) return undefined;
    const rule = this.rules[index]!;
    if (--rule.remaining === 0) this.rules.splice(index, 1);
    return rule.fault;
  }

  pending(): number {
    return this.rules.reduce((sum, rule) => sum + rule.remaining, 0);
  }

  clear(): void {
    this.rules = [];
  }
}

// A global or sticky RegExp keeps lastIndex between calls; reset it so each test starts fresh.
function matches(pattern: RegExp, pathname: string): boolean {
  pattern.lastIndex = 0;
  return pattern.test(pathname);
}

function templateRegExp(template: string): RegExp {
  const parts = template.split(/\{[^/}]+\}/).map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${parts.join('[^/]+')}$`);
}

function checkFault(fault: unknown): asserts fault is SandboxFault {
  if (fault === 'reset-before' || fault === 'reset-after') return;
  if (typeof fault === 'object' && fault !== null) {
    const f = fault as Record<string, unknown>;
    if ('delayMs' in f) {
      if (typeof f.delayMs === 'number' && f.delayMs >= 0 && Number.isFinite(f.delayMs)) return;
      throw new TypeError('inject: fault.delayMs must be a non-negative number');
    }
    if (typeof f.status === 'number' && Number.isInteger(f.status) && f.status >= 100 && f.status <= 599) {
      if (f.retryAfter !== undefined && typeof f.retryAfter !== 'number' && typeof f.retryAfter !== 'string') {
        throw new TypeError('inject: fault.retryAfter must be seconds or an HTTP date');
      }
      return;
    }
  }
  throw new TypeError("inject: fault must be 'reset-before', 'reset-after', { status, retryAfter?, body? } or { delayMs }");
}
