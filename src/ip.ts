/** IP literal checks without `node:net`, so the package stays runtime-neutral. */

const IPV4_OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const IPV4 = new RegExp(`^${IPV4_OCTET}(?:\\.${IPV4_OCTET}){3}$`);
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;
const ZONE_ID = /^[0-9A-Za-z_.~-]+$/;

/** Dotted-quad IPv4, no leading zeros (as Node's `net.isIPv4`). */
export function isIPv4(value: string): boolean {
  return IPV4.test(value);
}

/** Counts the 16-bit groups of one side of `::`, or -1 if malformed. */
function countGroups(part: string, mayEndWithIPv4: boolean): number {
  if (part === '') return 0;
  const groups = part.split(':');
  let count = 0;
  for (let i = 0; i < groups.length; i++) {
    const group = groups[i] as string;
    if (HEX_GROUP.test(group)) count += 1;
    else if (mayEndWithIPv4 && i === groups.length - 1 && isIPv4(group)) count += 2;
    else return -1;
  }
  return count;
}

/** RFC 4291 text forms: full, `::`-compressed, IPv4-suffixed, optional `%zone`. */
export function isIPv6(value: string): boolean {
  let address = value;
  const percent = address.indexOf('%');
  if (percent !== -1) {
    if (!ZONE_ID.test(address.slice(percent + 1))) return false;
    address = address.slice(0, percent);
  }
  const halves = address.split('::');
  if (halves.length > 2) return false;
  if (halves.length === 1) return countGroups(address, true) === 8;
  const head = countGroups(halves[0] as string, false);
  const tail = countGroups(halves[1] as string, true);
  return head >= 0 && tail >= 0 && head + tail <= 7;
}

export function isIP(value: string): boolean {
  return isIPv4(value) || isIPv6(value);
}
