import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { GenerateError, isRecord } from './errors.js';

export const DEFAULT_SPEC_URL = 'https://api.heydollr.app/openapi.json';
export const DEFAULT_TIMEOUT_MS = 30_000;

/** Appended to every fetch failure: the fix is always to point somewhere else. */
export const SOURCE_HINT =
  'Use --from <url|path> or set DOLLR_OPENAPI_URL to generate from another URL or a local file.';

export type SpecSource = { kind: 'url'; url: string } | { kind: 'file'; path: string };

/** `--from` wins over DOLLR_OPENAPI_URL, which wins over the published spec. */
export function resolveSource(from: string | undefined, env: NodeJS.ProcessEnv, cwd: string): SpecSource {
  const raw = from ?? (env.DOLLR_OPENAPI_URL ? env.DOLLR_OPENAPI_URL : undefined) ?? DEFAULT_SPEC_URL;
  if (/^https?:\/\//i.test(raw)) return { kind: 'url', url: raw };
  if (/^file:\/\//i.test(raw)) return { kind: 'file', path: fileURLToPath(raw) };
  return { kind: 'file', path: resolve(cwd, raw) };
}

export function describeSource(source: SpecSource): string {
  return source.kind === 'url' ? source.url : source.path;
}

/** Tests shorten the 30 s budget through DOLLR_OPENAPI_TIMEOUT_MS instead of waiting it out. */
export function timeoutFromEnv(env: NodeJS.ProcessEnv): number {
  const raw = env.DOLLR_OPENAPI_TIMEOUT_MS;
  if (raw === undefined || raw === '') return DEFAULT_TIMEOUT_MS;
  const ms = Number(raw);
  if (!Number.isInteger(ms) || ms <= 0) {
    throw new GenerateError(`DOLLR_OPENAPI_TIMEOUT_MS must be a positive integer of milliseconds (got ${JSON.stringify(raw)})`);
  }
  return ms;
}

export async function loadSpecText(source: SpecSource, timeoutMs: number): Promise<string> {
  return source.kind === 'url' ? fetchText(source.url, timeoutMs) : readText(source.path);
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const code = errorCode(error);
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (code ?? messageOf(error));
    throw new GenerateError(`cannot read spec file ${path}: ${why}`);
  }
}

async function fetchText(url: string, timeoutMs: number): Promise<string> {
  let response: Response;
  // One signal covers connect, headers and body: a server that stalls mid-body must
  // fail the same way as one that never answers.
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    response = await fetch(url, { signal, headers: { accept: 'application/json, application/yaml;q=0.9, */*;q=0.5' } });
    if (response.status !== 200) {
      await response.body?.cancel().catch(() => undefined);
      throw new GenerateError(
        `could not fetch ${url}: HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}. ${SOURCE_HINT}`,
      );
    }
    return await response.text();
  } catch (error) {
    if (error instanceof GenerateError) throw error;
    throw new GenerateError(`could not fetch ${url}: ${networkReason(error, timeoutMs)}. ${SOURCE_HINT}`);
  }
}

/** Turn undici's nested `TypeError: fetch failed` into the reason a person can act on. */
function networkReason(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return `no response within ${formatMs(timeoutMs)} (timed out)`;
  }
  const cause = error instanceof Error ? error.cause : undefined;
  const code = errorCode(cause) ?? errorCode(error);
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused (ECONNREFUSED)';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `DNS lookup failed (${code})`;
    case 'ENETUNREACH':
    case 'EHOSTUNREACH':
      return `network unreachable (${code})`;
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return `connection closed by the server (${code})`;
    default:
      return firstLine(cause instanceof Error ? cause.message : messageOf(error)) || 'network error';
  }
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

/**
 * Detect the format by parsing rather than trusting an extension or content-type:
 * JSON first (exact and fast), then YAML. Anything that is not a mapping is rejected.
 */
export function parseSpecText(text: string, label: string): unknown {
  const body = text.replace(/^\uFEFF/, '');
  if (body.trim() === '') throw new GenerateError(`${label} is empty`);
  let jsonError: string;
  try {
    return JSON.parse(body) as unknown;
  } catch (error) {
    jsonError = messageOf(error);
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(body, { prettyErrors: false, logLevel: 'error' }) as unknown;
  } catch (error) {
    // Report in the syntax the author was evidently writing.
    const looksJson = /^\s*[{[]/.test(body);
    const reason = looksJson ? `invalid JSON: ${jsonError}` : `invalid YAML: ${yamlMessage(error)}`;
    throw new GenerateError(`cannot parse ${label}: ${firstLine(reason)}`);
  }
  if (!isRecord(parsed)) {
    throw new GenerateError(`cannot parse ${label}: expected a JSON or YAML object at the top level`);
  }
  return parsed;
}

function yamlMessage(error: unknown): string {
  if (error instanceof YAMLParseError && error.linePos) {
    const [start] = error.linePos;
    return `${error.message} (line ${start.line}, column ${start.col})`;
  }
  return messageOf(error);
}

function errorCode(error: unknown): string | undefined {
  return isRecord(error) && typeof error.code === 'string' ? error.code : undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function firstLine(text: string): string {
  return (text.split('\n')[0] ?? '').trim();
}
