/**
 * What every base URL (the client option, or a per-request one) must be: absolute, https
 * (http only on loopback or with allowInsecureHttp), no credentials (never echoed in a
 * message), no query, no trailing API version (paths carry `/v1`).
 */
import { DollrInputError } from '../errors.js';

const isLoopback = (hostname: string): boolean =>
  hostname === 'localhost' || hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(hostname);

export const refuseBaseUrl = (problem: string): DollrInputError => new DollrInputError('baseUrl', `baseUrl ${problem}`);

export const VERSIONED = 'must not end with the API version: paths already carry /v1';

/** The checks every base URL gets, a per-request one included. */
export function parseUrl(raw: unknown, allowInsecureHttp: boolean): URL {
  let url: URL;
  try {
    url = new URL(raw as string);
  } catch {
    throw refuseBaseUrl('must be an absolute URL, e.g. https://api.heydollr.app');
  }
  const { protocol } = url;
  if (url.username || url.password) throw refuseBaseUrl('must not hold credentials: use the auth option');
  if (protocol !== 'https:' && (protocol !== 'http:' || !(allowInsecureHttp || isLoopback(url.hostname)))) {
    throw refuseBaseUrl('must use https: (http: only on loopback, or set allowInsecureHttp: true)');
  }
  return url;
}

/** Validates the client's `baseUrl` and returns it normalized, without trailing slashes. */
export function checkBaseUrl(raw: unknown, allowInsecureHttp: boolean): string {
  const url = parseUrl(raw, allowInsecureHttp);
  if (url.search || url.hash) throw refuseBaseUrl('must not have a query or fragment');
  if (/\/v\d+\/*$/i.test(url.pathname)) throw refuseBaseUrl(VERSIONED);
  return url.href.replace(/\/+$/, '');
}
