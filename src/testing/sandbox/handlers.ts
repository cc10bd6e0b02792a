/**
 * One handler per operation key (`METHOD /{version}/...`): the stateful ones from the money
 * path, sources and catalog, and for every other operation the spec declares (including ones a
 * newer spec adds) a plausible sample of its 200 schema. So all of the spec answers.
 */
import { issueToken } from './auth.js';
import { catalogHandlers } from './catalog.js';
import { ok } from './reply.js';
import type { Handler, SandboxConfig } from './reply.js';
import { partyRecords } from './parties.js';
import { moneyHandlers } from './rules.js';
import type { Sampler } from './samples.js';
import { sourceHandlers } from './sources.js';
import type { SandboxStore } from './store.js';

export const TOKEN_KEY = 'POST /{version}/jwt/client/obtain/token';

export function createDispatch(store: SandboxStore, config: SandboxConfig, sampler: Sampler): Handler {
  const parties = partyRecords(store, config);
  const table: Record<string, Handler> = {
    [TOKEN_KEY]: ({ body, now }) => issueToken(store, config, body, now),
    ...moneyHandlers(store, config),
    ...parties.handlers,
    ...sourceHandlers(store, config, parties),
    ...catalogHandlers(store, config, sampler),
  };
  const fallback: Handler = ({ operation, now }) => ok(sampler.sample(operation.response, now));
  return (request) => (table[request.operation.key] ?? fallback)(request);
}
