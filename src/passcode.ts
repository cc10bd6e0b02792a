/**
 * Builders for the payout `passcode` object. They validate locally so a bad value fails
 * fast with the field's dotted path, and never put the code itself in a message.
 */
import { DollrInputError } from './errors.js';
import { isIP } from './ip.js';
import type { Device, Passcode } from './types.js';
import { VERSION } from './version.js';

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

const PHONE = /^\d{8,15}$/;
const DEVICE_FIELDS = ['name', 'type', 'platform', 'user_agent', 'client_ip'] as const;

function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.trim() !== '';
}

function requireNonEmpty(value: unknown, field: string): asserts value is string {
  if (!isNonEmptyString(value)) throw new DollrInputError(field, `${field} must be a non-empty string`);
}

function checkPhone(phone: unknown, field: string): void {
  if (typeof phone !== 'string') throw new DollrInputError(field, `${field} must be a string of digits`);
  if (PHONE.test(phone)) return;
  if (/[+\s]/.test(phone)) {
    throw new DollrInputError(field, `${field} must be digits only without '+' or spaces, e.g. 231771234567`);
  }
  throw new DollrInputError(field, `${field} must be 8 to 15 digits (E.164 without '+'), e.g. 231771234567`);
}

/** Throws DollrInputError unless every device field is a non-empty string and client_ip an IP. */
export function assertDevice(device: unknown, prefix = 'passcode.device'): asserts device is Device {
  if (typeof device !== 'object' || device === null) {
    throw new DollrInputError(prefix, `${prefix} must be an object`);
  }
  const d = device as Record<string, unknown>;
  for (const key of DEVICE_FIELDS) requireNonEmpty(d[key], `${prefix}.${key}`);
  if (!isIP(d.client_ip as string)) {
    throw new DollrInputError(`${prefix}.client_ip`, `${prefix}.client_ip must be an IPv4 or IPv6 address`);
  }
}

/** Throws DollrInputError unless `passcode` is a complete, well-formed passcode object. */
export function assertPasscode(passcode: unknown, prefix = 'passcode'): asserts passcode is Passcode {
  if (typeof passcode !== 'object' || passcode === null) {
    throw new DollrInputError(prefix, `${prefix} must be an object; build it with createPasscode()`);
  }
  const { token, device } = passcode as { token?: unknown; device?: unknown };
  if (typeof token !== 'object' || token === null) {
    throw new DollrInputError(`${prefix}.token`, `${prefix}.token must be an object`);
  }
  const t = token as Record<string, unknown>;
  requireNonEmpty(t.code, `${prefix}.token.code`);
  const hasPhone = t.phone !== undefined && t.phone !== null;
  const hasUserId = t.user_id !== undefined && t.user_id !== null;
  if (hasPhone) checkPhone(t.phone, `${prefix}.token.phone`);
  if (hasUserId) requireNonEmpty(t.user_id, `${prefix}.token.user_id`);
  if (!hasPhone && !hasUserId) {
    throw new DollrInputError(
      `${prefix}.token.phone`,
      `${prefix}.token needs the merchant's phone (digits, e.g. 231771234567) or user_id`,
    );
  }
  assertDevice(device, `${prefix}.device`);
}

/** The device block for a payout sent from a backend server. */
export function serverDevice(options: ServerDeviceOptions): Device {
  const device: Device = {
    name: options.name ?? 'Payout Server',
    type: 'SERVER',
    platform: 'NODE',
    user_agent: options.userAgent ?? `dollr-client/${VERSION}`,
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
