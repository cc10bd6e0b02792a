/**
 * Wire fixtures shared by the bench server and the client variants.
 * The payout body is the documented one from the Dollr API notes (shared/dollr-api-notes.md), byte for byte
 * the shape users copy (field order included).
 */

export const PAYOUT_PATH = '/v1/executions/payout';
export const TOKEN_PATH = '/v1/jwt/client/obtain/token';

export const STATIC_TOKEN = 'bench-static-token';
export const ISSUED_TOKEN = 'bench-issued-token';
export const CLIENT_ID = 'bench-client-id';
export const CLIENT_SECRET = 'bench-client-secret';

// The documented payout body, shared with the tests (one copy of the docs' example).
export { documentedPayoutBody as DOCUMENTED_PAYOUT_BODY } from '../test/fixtures/documented-payout.js';

/** A fixed ExecutionResponse (components.schemas.ExecutionResponse), all fields present. */
export const EXECUTION_RESPONSE = {
  reference_id: '550e8400-e29b-41d4-a716-446655440000',
  provider_transaction_id: 'MP240101.1200.A00001',
  status: 'PENDING',
  payer_amount: 100,
  payer_currency: 'USD',
  payee_currency: 'LRD',
  payee_amount: 19250,
  operation_type: 'PAYOUT',
  gateway_message: null,
  wallet_message: null,
  client_secret: null,
  requires_action: false,
} as const;

/** Token endpoint answer; expires_in is in MINUTES per the Dollr docs (60 min: never refreshes during a run). */
export const TOKEN_RESPONSE = { access_token: ISSUED_TOKEN, expires_in: 60 } as const;
