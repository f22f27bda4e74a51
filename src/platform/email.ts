import { domainToASCII } from 'node:url';

// One canonical form for every email Admit compares or sends to: invitation emails and emails from
// tokens alike (SPEC §2). No provider-specific folding (dots, +tags are kept), no Unicode case
// folding of the local part (the dotless-ı class of bugs): the local part must be ASCII.

export type CanonicalEmailResult = { ok: true; email: string } | { ok: false; reason: string };

// One strict addr-spec: dot-atom local part, no quotes, comments, spaces or control characters.
const LOCAL = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

export function canonicalEmail(input: string): CanonicalEmailResult {
  if (typeof input !== 'string') return { ok: false, reason: 'not a string' };
  const text = input.trim().normalize('NFC');
  if (/[\s\p{Cc}]/u.test(text)) return { ok: false, reason: 'contains whitespace or control characters' };
  const at = text.lastIndexOf('@');
  if (at <= 0 || at === text.length - 1) return { ok: false, reason: 'expected local@domain' };
  const local = text.slice(0, at);
  const domainText = text.slice(at + 1);
  if (local.includes('@')) return { ok: false, reason: 'more than one @' };
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the ASCII range is the point
  if (!/^[\x00-\x7f]+$/.test(local)) return { ok: false, reason: 'the local part must be ASCII' };
  if (!LOCAL.test(local)) return { ok: false, reason: 'the local part is not a plain dot-atom' };
  if (local.length > 64) return { ok: false, reason: 'the local part is longer than 64 characters' };
  const domain = domainToASCII(domainText.toLowerCase());
  if (!domain) return { ok: false, reason: 'the domain is not a valid host name' };
  const labels = domain.split('.');
  if (labels.length < 2 || !labels.every((l) => LABEL.test(l))) {
    return { ok: false, reason: 'the domain is not a valid host name' };
  }
  const email = `${local.toLowerCase()}@${domain}`;
  if (Buffer.byteLength(email) > 254) return { ok: false, reason: 'longer than 254 bytes' };
  return { ok: true, email };
}

// The sender: `Display Name <local@domain>` or a bare `local@domain`, one address only. The display
// name is plain text (no quotes, brackets, commas or control characters) and the address a dot-atom
// at a host name (one label allowed: `localhost` is a fine development sender), so nothing in it can
// be read by a mail library as a second address, a comment or another header.
const FROM = /^(?:([^"<>()[\]\\,;:@\p{Cc}]*[^"<>()[\]\\,;:@\p{Cc}\s])\s*<([^<>\s]+)>|([^<>\s]+))$/u;

/** The sender's display name and address, or undefined when MAIL_FROM is not one plain address. */
export function parseMailFrom(text: string): { name: string; address: string } | undefined {
  const m = FROM.exec(text.trim());
  if (!m) return undefined;
  const address = m[2] ?? m[3] ?? '';
  const at = address.lastIndexOf('@');
  const local = address.slice(0, at);
  const domain = domainToASCII(address.slice(at + 1).toLowerCase());
  if (at <= 0 || !LOCAL.test(local) || local.length > 64) return undefined;
  if (!domain?.split('.').every((l) => LABEL.test(l))) return undefined;
  return { name: (m[1] ?? '').trim(), address: `${local}@${domain}` };
}
