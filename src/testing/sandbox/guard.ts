/**
 * What keeps a sandbox safe to leave running, as pure decisions. A request whose `Host` is not
 * the bound address, a loopback name or an allowed host is refused (403) before anything else:
 * that is the DNS-rebinding route to the credentials. The control surface also refuses browser
 * requests from another origin (a foreign `Origin`, a cross-site fetch, a non-JSON body type),
 * and, bound to a non-loopback host, anything without `authorization: Bearer <control token>`.
 */
import { timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import type { IncomingHttpHeaders } from 'node:http';
import type { Reply } from './reply.js';
import { forbidden } from './reply.js';

export interface GuardConfig {
  /** The interface the sandbox was started on, e.g. 127.0.0.1, 0.0.0.0, ::1. */
  boundHost: string;
  allowedHosts: readonly string[];
  controlToken: string;
}

const unbracket = (host: string): string => host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
const WILDCARDS = new Set(['0.0.0.0', '::', '']);

export function isLoopback(host: string): boolean {
  const name = unbracket(host);
  return name === 'localhost' || name.endsWith('.localhost') || name === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name);
}

/** The host name of a `Host` header (`a:1`, `[::1]:1`, `a`), lower case; undefined when malformed. */
export function hostName(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^(\[[0-9a-fA-F:.]+\]|[^:[\]\s]+)(?::\d{1,5})?$/.exec(header.trim());
  return match ? unbracket(match[1]!) : undefined;
}

export function hostAllowed(header: string | undefined, config: GuardConfig): boolean {
  const name = hostName(header);
  if (name === undefined) return false;
  if (isLoopback(name) || name === unbracket(config.boundHost)) return true;
  if (config.allowedHosts.some((allowed) => unbracket(allowed) === name)) return true;
  // Bound to every interface: IP literals cannot be rebound, and the machine's own name is its own.
  return WILDCARDS.has(unbracket(config.boundHost)) && (isIP(name) !== 0 || name === hostname().toLowerCase());
}

const isJson = (contentType: string): boolean => /^application\/([\w.+-]+\+)?json\s*(;|$)/i.test(contentType.trim());

/** undefined when a control request may proceed, else the refusal to answer. */
export function controlRefusal(headers: IncomingHttpHeaders, config: GuardConfig): Reply | undefined {
  const origin = headers.origin;
  if (origin !== undefined && origin !== `http://${headers.host ?? ''}`) return forbidden('Cross-origin requests to the control surface are refused');
  const site = headers['sec-fetch-site'];
  if (site === 'cross-site' || site === 'same-site') return forbidden('Cross-origin requests to the control surface are refused');
  const type = headers['content-type'];
  if (type !== undefined && !isJson(type)) return forbidden('The control surface takes application/json only');
  if (isLoopback(config.boundHost)) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(headers.authorization ?? '');
  if (match && same(match[1]!, config.controlToken)) return undefined;
  return {
    status: 401,
    body: { detail: 'The control surface needs authorization: Bearer <control token> when the sandbox is not on loopback' },
    headers: { 'www-authenticate': 'Bearer' },
  };
}

export { isJson as isJsonContentType };

function same(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
