/**
 * The one error type the CLI turns into a single `generate: ...` line and a non-zero
 * exit. Anything else reaching the top level is a bug and keeps its stack trace.
 */
export class GenerateError extends Error {
  override readonly name = 'GenerateError';
}

/** Plain JSON object guard; arrays and null are not "records" for our purposes. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
