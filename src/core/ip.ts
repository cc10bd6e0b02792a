/** IP literal checks without `node:net`, so the package stays runtime-neutral. */

/** Four 0-255 octets without leading zeros, each followed by a dot, the last by the end. */
const IPV4 = /^((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(?!$)|$)){4}$/;
/** Hex digits, colons and dots with at least one colon, then an optional `%zone`. */
const IPV6_TEXT = /^([\da-f.]*:[\da-f:.]*)(%[\w.~-]+)?$/i;

/** Dotted-quad IPv4, no leading zeros (as Node's `net.isIPv4`). */
export function isIPv4(value: string): boolean {
  return IPV4.test(value);
}

/**
 * RFC 4291 text forms: full, `::`-compressed, IPv4-suffixed, optional `%zone`. The grammar
 * (group count, one `::`, the IPv4 suffix) is checked by the WHATWG URL host parser, which
 * every runtime has; the regex first limits it to address characters (the URL parser
 * would silently drop tabs and newlines).
 */
export function isIPv6(value: string): boolean {
  const address = IPV6_TEXT.exec(value)?.[1];
  if (address === undefined) return false;
  try {
    return new URL(`http://[${address}]`).hostname !== '';
  } catch {
    return false;
  }
}

export function isIP(value: string): boolean {
  return IPV4.test(value) || isIPv6(value);
}
