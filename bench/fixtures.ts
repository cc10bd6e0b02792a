/**
 * Wire fixtures shared by the bench server and the client variants.
 * The payout body is the documented one from /work/shared/dollr-api-notes.md, byte for byte
 * the shape users copy (field order included).
 */

export const PAYOUT_PATH = '/v1/executions/payout';
export const TOKEN_PATH = '/v1/jwt/client/obtain/token';

export const STATIC_TOKEN = 'bench-static-token';
export const ISSUED_TOKEN = 'bench-issued-token';
export const CLIENT_ID = 'bench-client-id';
export const CLIENT_SECRET = 'bench-client-secret';

export const DOCUMENTED_PAYOUT_BODY = {
  session_id: '42',
  payout_account_id: '18',
  reference_id: '550e8400-e29b-41d4-a716-446655440000',
  passcode: {
    token: { phone: '231771234567', code: 'your-passcode' },
    device: {
      name: 'Payout Server',
      type: 'SERVER',
      platform: 'NODE',
      user_agent: 'my-app/1.0',
      client_ip: '203.0.113.10',
    },
  },
} as const;

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
