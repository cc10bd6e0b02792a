/**
 * What the client tells about itself, following the Stainless SDKs: a `logger` with
 * debug/info/warn/error (default `console`) and a `logLevel` (default `warn`; the
 * `DOLLR_LOG` environment variable where one exists). Callers pass finished lines built from
 * methods, paths, statuses and reference ids only: never a header, a body or a secret.
 */
import { check, fail, isObject } from './validate.js';

/** How much the client logs, least to most; each level includes the ones before it. Default `'warn'`. */
export type LogLevel = 'off' | 'error' | 'warn' | 'info' | 'debug';

/** Where log lines go (default `console`); each line starts with `dollr: ` and holds no secret. */
export interface Logger {
  /** Each attempt, with its status and time. */
  debug(message: string, ...rest: unknown[]): void;
  /** Retries, status lookups and their verdicts, tokens obtained. */
  info(message: string, ...rest: unknown[]): void;
  /** What needs a look, e.g. an execution status outside the four documented ones. */
  warn(message: string, ...rest: unknown[]): void;
  /** Failures the client could not hand back to a caller. */
  error(message: string, ...rest: unknown[]): void;
}

/** The levels in rank order: a level's index is its rank, so `off` (0) writes nothing. */
const LEVELS = ['off', 'error', 'warn', 'info', 'debug'] as const;
type Written = Exclude<LogLevel, 'off'>;

export interface Log {
  /** True when lines of this level are written: check it before building an expensive line. */
  readonly debugOn: boolean;
  readonly infoOn: boolean;
  debug(line: string): void;
  info(line: string): void;
  warn(line: string): void;
  error(line: string): void;
}

function envLevel(): string | undefined {
  try {
    // Through globalThis: the main entry must load where no `process` global exists.
    return (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.DOLLR_LOG;
  } catch {
    return undefined; // e.g. Deno without --allow-env
  }
}

function parseLevel(value: unknown, field: string): LogLevel | undefined {
  if (value === undefined || value === '') return undefined;
  if (!LEVELS.includes(value as LogLevel)) fail(field, `be one of ${LEVELS.join(', ')}`);
  return value as LogLevel;
}

/** Checks `logger` (the four methods) and the level, then binds one writer per level: a no-op below it. */
export function createLog(logger: Logger | undefined, level: LogLevel | undefined): Log {
  if (logger !== undefined) {
    check(isObject(logger) && LEVELS.every((m, i) => !i || typeof logger[m as Written] === 'function'), 'logger', 'have debug, info, warn and error functions');
  }
  const rank = LEVELS.indexOf(parseLevel(level, 'logLevel') ?? parseLevel(envLevel(), 'DOLLR_LOG') ?? 'warn');
  const sink = logger ?? console;
  const log = { debugOn: rank > 3, infoOn: rank > 2 } as { -readonly [K in keyof Log]: Log[K] };
  for (let i = 1; i < 5; i++) {
    const name = LEVELS[i] as Written;
    log[name] = i <= rank ? (line) => sink[name](`dollr: ${line}`) : () => {};
  }
  return log;
}
