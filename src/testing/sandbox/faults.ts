/**
 * Injected faults apply to the next matching requests, in the order they were injected, each
 * for `times` requests. Only API requests are matched: the control surface (/_sandbox) never
 * fails, so a test can always inspect and reset the sandbox. A path must name an operation of
 * the served spec (its template, a concrete path, `*` for one segment, or in JavaScript a RegExp
 * that matches one), so a typo is refused with the closest templates instead of never firing.
 */
import { closestTemplates, operationExamples, pathMatcher, resolvesToOperation } from './paths.js';
import type { Spec } from './spec.js';
import type { SandboxFault, SandboxInjection } from './types.js';

// Pending rules are few in practice; the cap keeps a runaway script from growing memory.
const MAX_PENDING_RULES = 1_000;
const MAX_PATH_LENGTH = 512;
export const REDIRECT_STATUSES: readonly number[] = [301, 302, 303, 307, 308];

interface Rule {
  method: string | undefined;
  matcher: RegExp;
  fault: SandboxFault;
  remaining: number;
}

/** When the fault acts: before the request is read, instead of processing, or on the processed answer. */
export type FaultStage = 'before' | 'instead' | 'after';

export function faultStage(fault: SandboxFault): FaultStage {
  if (fault === 'reset-before') return 'before';
  if (typeof fault === 'object' && 'redirect' in fault) return 'before';
  if (typeof fault === 'object' && 'status' in fault && fault.processed !== true) return 'instead';
  return 'after';
}

/** A short label for the request log: never the fault's body. */
export function faultLabel(fault: SandboxFault): string {
  if (typeof fault === 'string') return fault;
  if ('redirect' in fault) return `redirect ${fault.status ?? 307}`;
  if ('status' in fault) return `status ${fault.status}${fault.processed === true ? ' processed' : ''}`;
  if ('dripMs' in fault) return `drip ${fault.dripMs}ms`;
  return `delay ${fault.delayMs}ms`;
}

export class FaultQueue {
  private rules: Rule[] = [];

  constructor(private readonly spec: Spec) {}

  /** Validates and queues an injection; throws TypeError with the reason when it is malformed. */
  add(injection: SandboxInjection): void {
    if (typeof injection !== 'object' || injection === null) throw new TypeError('inject() needs { path, fault }');
    const { method, path, fault, times = 1 } = injection as { method?: unknown; path: unknown; fault: unknown; times?: unknown };
    if (method !== undefined && (typeof method !== 'string' || !/^[A-Za-z]{1,16}$/.test(method))) {
      throw new TypeError('inject: method must be an HTTP method name, e.g. POST');
    }
    if (typeof times !== 'number' || !Number.isInteger(times) || times < 1) throw new TypeError('inject: times must be a positive integer');
    checkFault(fault);
    const upper = method?.toUpperCase();
    const matcher = this.matcherFor(path, upper);
    if (this.rules.length >= MAX_PENDING_RULES) throw new RangeError(`inject: more than ${MAX_PENDING_RULES} faults pending; reset() first`);
    this.rules.push({ method: upper, matcher, fault, remaining: times });
  }

  /** The fault for this request, if any rule matches; consumes one use of that rule. */
  take(method: string, pathname: string): SandboxFault | undefined {
    const index = this.rules.findIndex(
      (rule) => (rule.method === undefined || rule.method === method) && matches(rule.matcher, pathname),
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

  private matcherFor(path: unknown, method: string | undefined): RegExp {
    const operations = this.spec.operations.filter((op) => method === undefined || op.method === method);
    const refuse = (given: string): never => {
      const near = closestTemplates(this.spec.operations, given, method);
      throw new TypeError(
        `inject: path ${JSON.stringify(given)}${method ? ` with method ${method}` : ''} names no operation of the served spec; ` +
          `closest: ${near.join(', ')}`,
      );
    };
    if (path instanceof RegExp) {
      const matcher = new RegExp(path.source, path.flags);
      if (!operations.some((op) => operationExamples(op).some((example) => matches(matcher, example)))) refuse(String(path));
      return matcher;
    }
    if (typeof path !== 'string' || !path.startsWith('/') || path.length > MAX_PATH_LENGTH) {
      throw new TypeError(`inject: path must be a RegExp or a string starting with '/' (at most ${MAX_PATH_LENGTH} characters)`);
    }
    if (!resolvesToOperation(operations, path)) refuse(path);
    return pathMatcher(path);
  }
}

// A global or sticky RegExp keeps lastIndex between calls; reset it so each test starts fresh.
function matches(pattern: RegExp, pathname: string): boolean {
  pattern.lastIndex = 0;
  return pattern.test(pathname);
}

const nonNegative = (value: unknown): boolean => typeof value === 'number' && Number.isFinite(value) && value >= 0;
const FAULTS =
  "'reset-before', 'reset-after', 'stall', 'truncate', { status, processed?, retryAfter?, body? }, " +
  '{ redirect, status? }, { delayMs } or { dripMs }';

function checkFault(fault: unknown): asserts fault is SandboxFault {
  if (fault === 'reset-before' || fault === 'reset-after' || fault === 'stall' || fault === 'truncate') return;
  if (typeof fault === 'object' && fault !== null) {
    const f = fault as Record<string, unknown>;
    if ('delayMs' in f) {
      if (nonNegative(f.delayMs)) return;
      throw new TypeError('inject: fault.delayMs must be a non-negative number');
    }
    if ('dripMs' in f) {
      if (nonNegative(f.dripMs) && (f.dripMs as number) <= 60_000) return;
      throw new TypeError('inject: fault.dripMs must be a number from 0 to 60000');
    }
    if ('redirect' in f) {
      if (typeof f.redirect !== 'string' || f.redirect === '' || /[\r\n]/.test(f.redirect)) {
        throw new TypeError('inject: fault.redirect must be a non-empty Location without line breaks');
      }
      if (f.status !== undefined && !REDIRECT_STATUSES.includes(f.status as number)) {
        throw new TypeError(`inject: a redirect's status must be one of ${REDIRECT_STATUSES.join(', ')}`);
      }
      return;
    }
    if (typeof f.status === 'number' && Number.isInteger(f.status) && f.status >= 100 && f.status <= 599) {
      if (f.retryAfter !== undefined && typeof f.retryAfter !== 'number' && typeof f.retryAfter !== 'string') {
        throw new TypeError('inject: fault.retryAfter must be seconds or an HTTP date');
      }
      if (f.processed !== undefined && typeof f.processed !== 'boolean') throw new TypeError('inject: fault.processed must be a boolean');
      return;
    }
  }
  throw new TypeError(`inject: fault must be ${FAULTS}`);
}
