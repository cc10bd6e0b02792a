/**
 * What the client tells about itself, following the Stainless SDKs: a `logger` with
 * debug/info/warn/error (default `console`) and a `logLevel` (default `warn`; the
 * `DOLLR_LOG` environment variable where one exists). Callers pass finished lines built from
 * methods, paths, statuses and reference ids only: never a header, a body or a secret.
 */
import { DollrInputError } from './errors.js';

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

const RANK: Record<LogLevel, number> = { off: 0, error: 1, warn: 2, info: 3, debug: 4 };

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
  if (typeof value === 'string' && Object.hasOwn(RANK, value)) return value as LogLevel;
  throw new DollrInputError(field, `${field} must be one of ${Object.keys(RANK).join(', ')}`);
}

export function createLog(logger: Logger | undefined, level: LogLevel | undefined): Log {
  const rank = RANK[parseLevel(level, 'logLevel') ?? parseLevel(envLevel(), 'DOLLR_LOG') ?? 'warn'];
  const sink = logger ?? console;
  const at = (min: number, write: (line: string) => void) => (rank >= min ? write : () => {});
  return {
    debugOn: rank >= RANK.debug,
    infoOn: rank >= RANK.info,
    debug: at(RANK.debug, (line) => sink.debug(`dollr: ${line}`)),
    info: at(RANK.info, (line) => sink.info(`dollr: ${line}`)),
    warn: at(RANK.warn, (line) => sink.warn(`dollr: ${line}`)),
    error: at(RANK.error, (line) => sink.error(`dollr: ${line}`)),
  };
}
