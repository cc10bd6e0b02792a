/**
 * Builders for the payout `passcode` object. They validate locally so a bad value fails
 * fast with the field's dotted path, and never put the code itself in a message.
 */
import { DollrInputError } from '../core/errors.js';
import { isIP } from '../core/ip.js';
import { check, fail, isFilled, isObject } from '../core/validate.js';
import type { Device, Passcode } from '../core/types.js';
import { DEFAULT_USER_AGENT } from '../core/version.js';

export interface ServerDeviceOptions {
  /** IP address the payout originates from (IPv4 or IPv6). */
  clientIp: string;
  /** Defaults to `Payout Server`. */
  name?: string;
  /** Defaults to `dollr-client/<version>`. */
  userAgent?: string;
}

export interface CreatePasscodeOptions {
  /** The merchant passcode. Secret: never logged or echoed in errors. */
  code: string;
  /** Merchant phone, E.164 digits without `+`, 8 to 15 digits. Give this or `userId`. */
  phone?: string;
  /** Merchant user id, the alternative to `phone`. */
  userId?: string;
  device: Device;
}

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

/** The device block for a payout sent from a backend server. */
export function serverDevice(options: ServerDeviceOptions): Device {
  const device: Device = {
    name: options.name ?? 'Payout Server',
    type: 'SERVER',
    platform: 'NODE',
    user_agent: options.userAgent ?? DEFAULT_USER_AGENT,
    client_ip: options.clientIp,
  };
  assertDevice(device);
  return device;
}

/** Builds and validates `passcode` for a payout. Give `phone` or `userId`, as the merchant account is set up. */
export function createPasscode(options: CreatePasscodeOptions): Passcode {
  // Key order follows the documented example: identity first, then code.
  const token: Passcode['token'] = {
    ...(options.phone !== undefined && { phone: options.phone }),
    ...(options.userId !== undefined && { user_id: options.userId }),
    code: options.code,
  };
  const passcode: Passcode = { token, device: options.device };
  assertPasscode(passcode);
  return passcode;
}
