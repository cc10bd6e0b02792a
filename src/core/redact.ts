/**
 * Scrubbing of secrets from data that ends up on error objects. FastAPI echoes submitted
 * values in 422 `detail[].input`, so an error body can carry the passcode code; anything
 * kept on an error goes through here first.
 */

export const REDACTED = '[redacted]';

/** Replaces every occurrence of each secret in `text`. Empty secrets are ignored. */
export function redactText(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret && out.includes(secret)) out = out.split(secret).join(REDACTED);
  }
  return out;
}

/**
 * Deep copy of a parsed JSON body with `input` members dropped (FastAPI's echo of the
 * submitted value) and every secret replaced in strings, keys included.
 */
export function redactJson(value: unknown, secrets: readonly string[], depth = 0): unknown {
  if (typeof value === 'string') return redactText(value, secrets);
  if (value === null || typeof value !== 'object' || depth > 32) {
    return typeof value === 'object' && value !== null ? REDACTED : value;
  }
  if (Array.isArray(value)) return value.map((item) => redactJson(item, secrets, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (key === 'input') continue;
    out[redactText(key, secrets)] = redactJson(item, secrets, depth + 1);
  }
  return out;
}
