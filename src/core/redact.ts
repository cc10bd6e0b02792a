/**
 * Scrubbing of secrets from data that ends up on errors and in logs, by structure first:
 * FastAPI's echo of submitted values (`input`) is dropped, fields known to hold secrets are
 * replaced by name, and JSON strings equal to a secret are replaced whole. Free text is only
 * searched for secrets long enough that a match cannot be an accident: a 4-digit passcode
 * must not turn `amount 1234.00 LRD` into `amount [redacted].00 LRD`.
 */

const REDACTED = '[redacted]';

/** Shorter secrets are only redacted where they stand alone (a whole JSON string, a known field). */
const MIN_FREE_TEXT_SECRET = 8;

/** Fields whose values are secrets wherever they appear in a body. */
const SECRET_FIELDS = new Set(['client_secret', 'access_token', 'refresh_token', 'authorization', 'passcode']);

/** Replaces every occurrence of each long-enough secret in `text`, and `text` itself if it is a secret. */
export function redactText(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (!secret) continue;
    if (out === secret) return REDACTED;
    if (secret.length >= MIN_FREE_TEXT_SECRET && out.includes(secret)) out = out.split(secret).join(REDACTED);
  }
  return out;
}

/**
 * Deep copy of a parsed JSON body with `input` members dropped (FastAPI's echo of the
 * submitted value), secret fields replaced, and every secret replaced in strings and keys.
 */
export function redactJson(value: unknown, secrets: readonly string[], depth = 0): unknown {
  if (typeof value === 'string') return redactText(value, secrets);
  if (value === null || typeof value !== 'object') return value;
  if (depth > 32) return REDACTED;
  if (Array.isArray(value)) return value.map((item) => redactJson(item, secrets, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (key === 'input') continue;
    out[redactText(key, secrets)] = SECRET_FIELDS.has(key.toLowerCase()) && item != null ? REDACTED : redactJson(item, secrets, depth + 1);
  }
  return out;
}

/** The string values at dotted `paths` of a JSON body (`passcode.token.code`): the caller's secrets. */
export function valuesAt(body: unknown, paths: readonly string[]): string[] {
  const found: string[] = [];
  for (const path of paths) {
    let current: unknown = body;
    for (const key of path.split('.')) current = (current as Record<string, unknown> | null | undefined)?.[key];
    if (typeof current === 'string' && current !== '') found.push(current);
  }
  return found;
}
