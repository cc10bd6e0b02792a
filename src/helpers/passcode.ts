/**
 * Builders for the payout `passcode` object. They validate locally (the rules live in
 * core/guards.ts, shared with the request guard) so a bad value fails fast with the field's
 * dotted path, and never put the code itself in a message.
 */
import { assertDevice, assertPasscode } from '../core/guards.js';
import type { Device, Passcode } from '../core/types.js';
import { DEFAULT_USER_AGENT } from '../core/version.js';

/** Options of serverDevice(). */
export interface ServerDeviceOptions {
  /** IP address the payout originates from (IPv4 or IPv6); sent as `client_ip`. Required. */
  clientIp: string;
  /** Device name, sent as `name`. Default `Payout Server`. */
  name?: string;
  /** Sent as `user_agent`. Default `dollr-client/<version>`. */
  userAgent?: string;
}

/** Options of createPasscode(). */
export interface CreatePasscodeOptions {
  /** The merchant passcode. Secret: never logged or echoed in errors. */
  code: string;
  /** Merchant phone, E.164 digits without `+`, 8 to 15 digits. Give this or `userId`. */
  phone?: string;
  /** Merchant user id, the alternative to `phone`. */
  userId?: string;
  /** The device the payout is sent from: serverDevice() for a backend. Required. */
  device: Device;
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
