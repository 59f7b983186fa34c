/**
 * Site host validation, like the BeyondTrust Integration Client's "site URL without https://".
 *
 * A PRA site is addressed by its host name (or IP literal) and an optional port; the API is only
 * served over HTTPS, so the scheme is implied. People paste whole URLs from the browser, so an
 * `https://…` URL is reduced to its host (and non-default port) with a notice saying what was
 * removed; anything that cannot be a PRA site is refused with a message that says what to type.
 *
 * Pure: runs in the renderer too (no node:* imports).
 */

export type SiteHostResult = { ok: true; host: string; notice: string | null } | { ok: false; error: string };

const EXAMPLE = 'access.example.com';
const TYPE_HOST = `Type only the site's host name, e.g. ${EXAMPLE} (or ${EXAMPLE}:8443 if the site uses another port)`;
const IPV6_EXAMPLE = `e.g. [2001:db8::1] or [2001:db8::1]:8443 (or a host name such as ${EXAMPLE})`;
const MAX_HOST_LENGTH = 253;
const MAX_LABEL_LENGTH = 63;
/** How much of a removed path/query is quoted back in the notice. */
const MAX_QUOTED = 60;

function fail(error: string): SiteHostResult {
  return { ok: false, error };
}

function quote(text: string): string {
  return `“${text.length > MAX_QUOTED ? `${text.slice(0, MAX_QUOTED)}…` : text}”`;
}

function joinAnd(items: string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/** Validates and normalises what the user typed as a site's host. */
export function normalizeSiteHost(input: string): SiteHostResult {
  if (typeof input !== 'string') return fail(`Enter the site's host name, e.g. ${EXAMPLE}.`);
  let rest = input.trim();
  if (rest === '') return fail(`The site is empty. Enter the site's host name, e.g. ${EXAMPLE}.`);
  if (/\s/.test(rest)) return fail(`The site must not contain spaces. ${TYPE_HOST}.`);

  const removed: string[] = [];
  const rewritten: string[] = [];

  // A scheme: `https://…` is implied and removed; every other scheme is refused.
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(rest) ?? /^(https?):\/?(?![\d/])/i.exec(rest);
  if (scheme) {
    const name = scheme[1]!.toLowerCase();
    if (name !== 'https') {
      return fail(
        `“${name}://” is not supported: PRA's API is only served over HTTPS. Type the site's host name without “${name}://”, e.g. ${EXAMPLE} (or ${EXAMPLE}:8443 if the site uses another port).`,
      );
    }
    removed.push(quote(scheme[0]));
    rest = rest.slice(scheme[0].length);
  }

  // The authority ends at the first path, query or fragment delimiter (as in a URL); the rest is dropped.
  const end = rest.search(/[/?#\\]/);
  const authority = end === -1 ? rest : rest.slice(0, end);
  const tail = end === -1 ? '' : rest.slice(end);
  // Credentials: checked before the tail is looked at, and never quoted back (it may be a password).
  // (An `@` in the path also counts: in `https://user:pa/ss@host` the password itself contains the `/`.)
  if (authority.includes('@') || tail.split(/[?#]/, 1)[0]!.includes('@')) {
    return fail(
      `Remove the user name and password from the site: the API account's Client ID and Client secret are entered separately. ${TYPE_HOST}.`,
    );
  }
  if (tail !== '') {
    if (tail.startsWith('\\')) return fail(`The site contains “\\”, which can't be in a host name. ${TYPE_HOST}.`);
  }
  if (authority === '') {
    return fail(
      scheme ? `There is no host name after “https://”. ${TYPE_HOST}.` : `The site has no host name. ${TYPE_HOST}.`,
    );
  }

  // Split host and port.
  let hostPart: string;
  let portPart: string | null = null;
  let ipv6 = false;
  if (authority.startsWith('[')) {
    const close = authority.indexOf(']');
    if (close === -1) return fail(`The IPv6 address has no closing “]”. Type it in square brackets, ${IPV6_EXAMPLE}.`);
    hostPart = authority.slice(1, close);
    const after = authority.slice(close + 1);
    if (after !== '') {
      if (!after.startsWith(':')) {
        return fail(`Only “:port” may follow the IPv6 address in brackets, ${IPV6_EXAMPLE}.`);
      }
      portPart = after.slice(1);
    }
    ipv6 = true;
  } else {
    const colons = authority.split(':').length - 1;
    if (colons > 1) {
      if (/^[0-9a-f:.]+(%.*)?$/i.test(authority)) {
        return fail(`Put an IPv6 address in square brackets, ${IPV6_EXAMPLE}.`);
      }
      return fail(`The site has more than one “:”. ${TYPE_HOST}.`);
    }
    if (authority.includes(']')) return fail(`The site has a “]” without “[”. ${TYPE_HOST}.`);
    const colon = authority.indexOf(':');
    hostPart = colon === -1 ? authority : authority.slice(0, colon);
    portPart = colon === -1 ? null : authority.slice(colon + 1);
  }

  // Port.
  let port: number | null = null;
  if (portPart !== null) {
    const example = ipv6 ? '[2001:db8::1]:8443' : `${EXAMPLE}:8443`;
    if (!/^\d+$/.test(portPart)) {
      return fail(
        portPart === ''
          ? `The port after “:” is missing. Type a port from 1 to 65535, e.g. ${example}, or leave out the “:” (e.g. ${EXAMPLE}).`
          : `The port ${quote(portPart)} is not a number. Type a port from 1 to 65535, e.g. ${example}, or none (e.g. ${EXAMPLE}).`,
      );
    }
    const value = Number(portPart);
    if (value < 1 || value > 65535) {
      return fail(`The port ${portPart} is out of range: it must be from 1 to 65535, e.g. ${example} (or none: ${EXAMPLE}).`);
    }
    if (value === 443) {
      removed.push(`the default port “:${portPart}”`);
    } else {
      port = value;
      if (String(value) !== portPart) rewritten.push(`wrote the port as ${value}`);
    }
  }

  // Host.
  let host: string;
  if (ipv6) {
    const parsed = parseIpv6(hostPart);
    if (!parsed.ok) return fail(parsed.error);
    host = `[${parsed.text}]`;
    if (parsed.text !== hostPart.toLowerCase()) rewritten.push(`wrote the IPv6 address as ${host}`);
  } else {
    const checked = checkHostName(hostPart);
    if (!checked.ok) return fail(checked.error);
    host = checked.host;
    if (checked.trailingDot) removed.push('the trailing “.”');
    if (checked.punycode) rewritten.push(`wrote the international name as ${host}`);
  }

  // Listed in the order they appear in what was typed.
  if (tail !== '') removed.push(tail === '/' ? 'the trailing “/”' : quote(tail));
  const full = port === null ? host : `${host}:${port}`;
  const changes: string[] = [];
  if (removed.length > 0) changes.push(`removed ${joinAnd(removed)}`);
  changes.push(...rewritten);
  let notice: string | null = null;
  if (changes.length > 0) {
    const text = joinAnd(changes);
    notice = `${text[0]!.toUpperCase()}${text.slice(1)}: the site is ${full}`;
  }
  return { ok: true, host: full, notice };
}

type HostNameCheck = { ok: true; host: string; trailingDot: boolean; punycode: boolean } | { ok: false; error: string };

function checkHostName(raw: string): HostNameCheck {
  let name = raw;
  let trailingDot = false;
  if (name.endsWith('.') && name.length > 1 && !name.endsWith('..')) {
    name = name.slice(0, -1);
    trailingDot = true;
  }
  // All digits and dots: an IPv4 literal, which must be a plain dotted quad.
  if (/^[\d.]+$/.test(name)) {
    const ipv4 = parseIpv4(name);
    if (ipv4 === null) {
      return {
        ok: false,
        error: `“${raw}” is not a valid IPv4 address: it must be four numbers from 0 to 255 without leading zeros, e.g. 10.0.0.5 (or type a host name such as ${EXAMPLE}).`,
      };
    }
    return { ok: true, host: ipv4, trailingDot, punycode: false };
  }

  let punycode = false;
  // eslint-disable-next-line no-control-regex
  if (/[^\x00-\x7f]/.test(name)) {
    // International (IDN) name: the URL parser converts it to its ASCII (xn--) form.
    const ascii = toAsciiHostName(name);
    if (ascii === null) return { ok: false, error: `“${raw}” is not a valid host name. ${TYPE_HOST}.` };
    name = ascii;
    punycode = true;
  }
  name = name.toLowerCase();

  const bad = /[^a-z0-9.-]/.exec(name);
  if (bad) {
    const what = bad[0] === '_' ? 'an underscore “_”' : `“${bad[0]}”`;
    return { ok: false, error: `The host name contains ${what}, which isn't allowed in host names (only letters, digits, “-” and “.”). ${TYPE_HOST}.` };
  }
  if (name.length > MAX_HOST_LENGTH) {
    return { ok: false, error: `The host name is too long (${name.length} characters; at most ${MAX_HOST_LENGTH}). ${TYPE_HOST}.` };
  }
  const labels = name.split('.');
  for (const label of labels) {
    if (label === '') {
      return { ok: false, error: `The host name has an empty part (“..” or a “.” at the start or end). ${TYPE_HOST}.` };
    }
    if (label.length > MAX_LABEL_LENGTH) {
      return {
        ok: false,
        error: `The host name part “${label.slice(0, 20)}…” is too long (${label.length} characters; each part between dots may have at most ${MAX_LABEL_LENGTH}). ${TYPE_HOST}.`,
      };
    }
    if (label.startsWith('-') || label.endsWith('-')) {
      return { ok: false, error: `The host name part “${label}” starts or ends with “-”, which isn't allowed. ${TYPE_HOST}.` };
    }
  }
  if (labels.length > 1 && /^\d+$/.test(labels[labels.length - 1]!)) {
    return {
      ok: false,
      error: `“${raw}” is neither a host name nor an IPv4 address: the last part of a host name can't be only digits. ${TYPE_HOST}.`,
    };
  }
  return { ok: true, host: name, trailingDot, punycode };
}

function toAsciiHostName(name: string): string | null {
  if (/[:/?#@[\]\\%]/.test(name)) return null;
  try {
    return new URL(`https://${name}/`).hostname;
  } catch {
    return null;
  }
}

/** A strict dotted quad (no leading zeros, which some parsers read as octal); null if invalid. */
function parseIpv4(text: string): string | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || (part.length > 1 && part.startsWith('0')) || Number(part) > 255) return null;
  }
  return text;
}

type Ipv6Parse = { ok: true; text: string } | { ok: false; error: string };

/** Parses an IPv6 literal (without brackets) and writes it in the canonical RFC 5952 form. */
function parseIpv6(text: string): Ipv6Parse {
  const invalid: Ipv6Parse = {
    ok: false,
    error: `“[${text}]” is not a valid IPv6 address. Type the address in square brackets, ${IPV6_EXAMPLE}.`,
  };
  if (text.includes('%')) {
    return { ok: false, error: `IPv6 zone ids (“%…”) aren't supported. Type the address in square brackets without it, ${IPV6_EXAMPLE}.` };
  }
  if (text === '' || !/^[0-9a-f:.]+$/i.test(text)) return invalid;
  const halves = text.split('::');
  if (halves.length > 2) return invalid;
  const parseGroups = (part: string, allowIpv4: boolean): number[] | null => {
    if (part === '') return [];
    const groups: number[] = [];
    const items = part.split(':');
    for (let i = 0; i < items.length; i++) {
      const item = items[i]!;
      if (item.includes('.')) {
        if (!allowIpv4 || i !== items.length - 1 || parseIpv4(item) === null) return null;
        const [a, b, c, d] = item.split('.').map(Number) as [number, number, number, number];
        groups.push(a * 256 + b, c * 256 + d);
      } else {
        if (!/^[0-9a-f]{1,4}$/i.test(item)) return null;
        groups.push(parseInt(item, 16));
      }
    }
    return groups;
  };
  let groups: number[];
  if (halves.length === 2) {
    const head = parseGroups(halves[0]!, false);
    const tail = parseGroups(halves[1]!, true);
    if (head === null || tail === null || head.length + tail.length > 7) return invalid;
    groups = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  } else {
    const all = parseGroups(text, true);
    if (all === null || all.length !== 8) return invalid;
    groups = all;
  }
  // RFC 5952: compress the longest run (of at least two) zero groups, the first one on a tie.
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = (g: number[]) => g.map((n) => n.toString(16)).join(':');
  const out =
    bestStart === -1 ? hex(groups) : `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLength))}`;
  return { ok: true, text: out };
}
