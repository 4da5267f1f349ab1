/*
 * Literal IP addresses as numbers: the rate limits key IPv6 clients by their /64, and the URL
 * policy refuses targets in private ranges. Kept here, below both, so neither reaches up.
 */

/** Dotted quad as WHATWG serialises it (127.1, 0x7f.1 and 2130706433 are already 127.0.0.1). */
export function parseIpv4(host: string): number | null {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (!match) return null;
  let value = 0;
  for (const part of match.slice(1)) {
    const octet = Number(part);
    if (octet > 255) return null;
    value = value * 256 + octet;
  }
  return value;
}

/** Eight 16-bit groups, or null. Accepts "::" compression and a dotted IPv4 tail. */
export function parseIpv6(text: string): number[] | null {
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const parseSide = (side: string | undefined): number[] | null => {
    if (side === undefined || side === '') return [];
    const groups: number[] = [];
    const parts = side.split(':');
    for (const [index, part] of parts.entries()) {
      if (index === parts.length - 1 && part.includes('.')) {
        const ipv4 = parseIpv4(part);
        if (ipv4 === null) return null;
        groups.push(Math.floor(ipv4 / 0x10000), ipv4 % 0x10000);
      } else if (/^[0-9a-f]{1,4}$/i.test(part)) {
        groups.push(parseInt(part, 16));
      } else {
        return null;
      }
    }
    return groups;
  };
  const head = parseSide(halves[0]);
  const tail = parseSide(halves[1]);
  if (head === null || tail === null) return null;
  if (halves.length === 1) return head.length === 8 ? head : null;
  const missing = 8 - head.length - tail.length;
  if (missing < 1) return null;
  return [...head, ...new Array<number>(missing).fill(0), ...tail];
}
