/**
 * The HTTP control surface under /_sandbox, for test suites in any language: the same inject,
 * setOutcome, executions, requests and reset as the JavaScript API, with JSON in and out. The
 * prefix is not in the spec, and faults never apply to it. Paths are templates, concrete paths
 * or `*` for one segment, never a RegExp: a pattern from the network could stall the event loop.
 */
import type { Reply } from './reply.js';
import type { SandboxExecution, SandboxInjection, SandboxOutcome, SandboxRequest } from './types.js';

export const CONTROL_PREFIX = '/_sandbox';

export interface ControlTarget {
  inject(injection: SandboxInjection): void;
  setOutcome(referenceId: string, outcome: SandboxOutcome): void;
  executions(): SandboxExecution[];
  requests(): SandboxRequest[];
  reset(): void;
  info(): Record<string, unknown>;
}

const badRequest = (detail: string): Reply => ({ status: 400, body: { detail } });

export function createControl(target: ControlTarget) {
  return function control(method: string, pathname: string, raw: string): Reply {
    const route = pathname.replace(/\/+$/, '') || CONTROL_PREFIX;
    const routes: Record<string, Record<string, () => Reply>> = {
      [CONTROL_PREFIX]: { GET: () => ({ status: 200, body: target.info() }) },
      [`${CONTROL_PREFIX}/executions`]: { GET: () => ({ status: 200, body: target.executions() }) },
      [`${CONTROL_PREFIX}/requests`]: { GET: () => ({ status: 200, body: target.requests() }) },
      [`${CONTROL_PREFIX}/reset`]: {
        POST: () => {
          target.reset();
          return { status: 200, body: { reset: true } };
        },
      },
      [`${CONTROL_PREFIX}/inject`]: {
        POST: () => {
          const body = parse(raw);
          if (typeof body.path !== 'string') throw new TypeError("inject: path must be a string: a template, a concrete path or '*' for one segment (RegExps are JavaScript-only)");
          target.inject({
            ...(body.method === undefined ? {} : { method: body.method as string }),
            path: body.path as SandboxInjection['path'],
            fault: body.fault as SandboxInjection['fault'],
            ...(body.times === undefined ? {} : { times: body.times as number }),
          });
          return { status: 200, body: { injected: true } };
        },
      },
      [`${CONTROL_PREFIX}/outcomes`]: {
        POST: () => {
          const body = parse(raw);
          target.setOutcome(String(body.reference_id ?? body.referenceId ?? ''), {
            status: body.status as SandboxOutcome['status'],
            ...(typeof body.message === 'string' ? { message: body.message } : {}),
          });
          return { status: 200, body: { outcome: body.status } };
        },
      },
    };
    const handlers = routes[route];
    if (!handlers) return { status: 404, body: { detail: 'Not Found' } };
    const handler = handlers[method];
    if (!handler) return { status: 405, body: { detail: 'Method Not Allowed' } };
    try {
      return handler();
    } catch (error) {
      return badRequest(error instanceof Error ? error.message : String(error));
    }
  };
}

function parse(raw: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(raw || '{}');
  } catch {
    throw new TypeError('the body must be JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new TypeError('the body must be a JSON object');
  return value as Record<string, unknown>;
}
