/**
 * Public types. Everything here is derived from the generated `paths` by URL and method,
 * never from generated schema names: those change between spec versions, paths do not.
 */
import type { paths, components } from '../generated/schema.js';

export type { paths, components };

/** The only API version the spec allows; it is the literal first URL segment. */
export type ApiVersion = 'v1';

type PayoutOperation = paths['/{version}/executions/payout']['post'];

/** Request body of `POST /v1/executions/payout`. */
export type PayoutRequest = PayoutOperation['requestBody']['content']['application/json'];
/** The 200 JSON body of `POST /v1/executions/payout`. */
export type ExecutionResponse = PayoutOperation['responses'][200]['content']['application/json'];
/** `passcode` of a payout request: the merchant passcode plus the device it is sent from. */
export type Passcode = PayoutRequest['passcode'];
/** `passcode.device` of a payout request. */
export type Device = Passcode['device'];

/** One item of a FastAPI 422 body (`detail[]`), as the spec declares it. */
export type RawValidationIssue = NonNullable<
  PayoutOperation['responses'][422]['content']['application/json']['detail']
>[number];

/** A 422 issue, normalized: `path` joins FastAPI's `loc`, e.g. `body.passcode.token.phone`. */
export interface ValidationIssue {
  path: string;
  message: string;
  type: string;
}

// ---- Version binding -------------------------------------------------------------------
// The spec models the version as a `{version}` path parameter whose only value is `v1`.
// We rewrite the path keys to `/v1/...` and drop `version` from path params, so callers
// write the real URL and openapi-fetch substitutes nothing at runtime.

type Simplify<T> = { [K in keyof T]: T[K] } & {};

type BindUrl<P> = P extends `/{version}${infer Rest}` ? `/${ApiVersion}${Rest}` : P;

type PathParamsOf<Params> = 'path' extends keyof Params ? NonNullable<Params['path']> : never;

/** Path params left once `version` is bound; `never` when none remain. */
type RemainingPathParams<Params> = [PathParamsOf<Params>] extends [never]
  ? never
  : [Exclude<keyof PathParamsOf<Params>, 'version'>] extends [never]
    ? never
    : Omit<PathParamsOf<Params>, 'version'>;

/** `parameters` with `version` removed; `path?: never` when no path params remain. */
type BindParameters<Params> = Params extends object
  ? Simplify<
      { [K in keyof Params as K extends 'path' ? never : K]: Params[K] } & ([RemainingPathParams<Params>] extends [
        never,
      ]
        ? { path?: never }
        : { path: RemainingPathParams<Params> })
    >
  : Params;

type BindOperation<Op> = Op extends { parameters: unknown }
  ? { [K in keyof Op]: K extends 'parameters' ? BindParameters<Op[K]> : Op[K] }
  : Op;

type BindPathItem<Item> = {
  [K in keyof Item]: K extends 'parameters' ? BindParameters<Item[K]> : BindOperation<Item[K]>;
};

/** The generated `paths` with the API version bound: `/{version}/x` becomes `/v1/x`. */
export type BoundPaths<P = paths> = {
  [K in keyof P as BindUrl<K>]: BindPathItem<P[K]>;
};

/** `paths` of this client: what `client.GET/POST/...` accept. */
export type DollrPaths = BoundPaths<paths>;
