/**
 * Local checks of what an operation's policy demands of its body (a v4 `reference_id` for
 * executions, a complete passcode for payouts): a bad value fails before any network call,
 * naming its field, and never puts the passcode code in a message.
 */
import { DollrInputError } from './errors.js';
import { isIP } from './ip.js';
import type { OperationPolicy } from './policy.js';
import type { Device, Passcode } from './types.js';
import { check, fail, isFilled, isObject } from './validate.js';

/** A version-4 UUID: version nibble 4, RFC 9562 variant (8, 9, a or b). */
const UUID_V4 = /^[\da-f]{8}-[\da-f]{4}-4[\da-f]{3}-[89ab][\da-f]{3}-[\da-f]{12}$/i;

/** True only for a version-4 UUID string (nil, max and other versions are false). */
export function isReferenceId(value: unknown): value is string {
  return typeof value === 'string' && UUID_V4.test(value);
}

export const REFERENCE_ID_RULE = 'be a version-4 UUID: create it with newReferenceId() and store it before sending';

const DEVICE_FIELDS = ['name', 'type', 'platform', 'user_agent', 'client_ip'] as const;
const PHONE_EXAMPLE = 'e.g. 231771234567';
const NON_EMPTY = 'be a non-empty string';

/** Throws DollrInputError unless every device field is a non-empty string and client_ip an IP. */
export function assertDevice(device: unknown): asserts device is Device {
  check(isObject(device), 'passcode.device', 'be an object');
  for (const key of DEVICE_FIELDS) check(isFilled(device[key]), `passcode.device.${key}`, NON_EMPTY);
  check(isIP(device.client_ip as string), 'passcode.device.client_ip', 'be an IPv4 or IPv6 address');
}

/** Throws DollrInputError unless `passcode` is a complete, well-formed passcode object. */
export function assertPasscode(passcode: unknown): asserts passcode is Passcode {
  check(isObject(passcode), 'passcode', 'be an object; build it with createPasscode()');
  const token = passcode.token;
  check(isObject(token), 'passcode.token', 'be an object');
  check(isFilled(token.code), 'passcode.token.code', NON_EMPTY);
  const { phone, user_id } = token;
  if (phone != null && !(typeof phone === 'string' && /^\d{8,15}$/.test(phone))) {
    fail(
      'passcode.token.phone',
      /[+\s]/.test(String(phone))
        ? `be digits only without '+' or spaces, ${PHONE_EXAMPLE}`
        : `be 8 to 15 digits (E.164 without '+'), ${PHONE_EXAMPLE}`,
    );
  }
  if (user_id != null) check(isFilled(user_id), 'passcode.token.user_id', NON_EMPTY);
  if (phone == null && user_id == null) {
    throw new DollrInputError('passcode.token.phone', `passcode.token needs the merchant's phone (digits, ${PHONE_EXAMPLE}) or user_id`);
  }
  assertDevice(passcode.device);
}

/**
 * What an execution's policy demands of its body: a v4 `reference_id` (the key that makes
 * reconciliation possible) and, where the policy says so, a complete passcode.
 */
export function assertExecutionBody(body: unknown, policy: OperationPolicy): void {
  const fields = isObject(body) ? body : {};
  check(isReferenceId(fields.reference_id), 'reference_id', REFERENCE_ID_RULE);
  if (policy.passcode) assertPasscode(fields.passcode);
}

/**
 * What money depends on in an execution's or a status lookup's 2xx body: an object with a
 * string `status` and the very `reference_id` that was sent or looked up. Anything else
 * (`null`, `{}`, text, another execution) proves nothing about this one.
 */
export function isExecutionFor(body: unknown, referenceId: string): body is { status: string; reference_id: string } {
  return isObject(body) && typeof body.status === 'string' && body.reference_id === referenceId;
}
