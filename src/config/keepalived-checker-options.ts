// The keywords of each checker kind beyond the connection ones: HTTP_GET/SSL_GET urls (status,
// digest, virtualhost, regex), http_protocol and SNI; DNS_CHECK type/name; UDP_CHECK hex payloads;
// SMTP_CHECK helo_name; FILE_CHECK track_file/weight; MISC_CHECK script. Each reads one statement
// into the draft and says whether it was its keyword.

import type {
  ConfigWarning, HttpProtocol, HttpRegexConfig, HttpUrlConfig, UdpReplyConfig,
} from './model.js';
import type { Statement } from './keepalived-parser.js';
import { ignored, warn } from './keepalived-keywords.js';
import { trackWeight } from './keepalived-track-file.js';
import * as v from './keepalived-values.js';
import type { CheckDraft } from './keepalived-checkers.js';

/** Keywords keepalived knows inside checker blocks that director does not act on (warned). */
export const UNSUPPORTED_IN_CHECK = new Set(['log_all_failures', 'regex_stack', 'digest_check', 'protocol']);

/** keepalived's DNS_CHECK types and their codes. */
export const DNS_TYPES: Readonly<Record<string, number>> = {
  A: 1, NS: 2, CNAME: 5, SOA: 6, MX: 15, TXT: 16, AAAA: 28, RRSIG: 46, DNSKEY: 48,
};

/** regex_options with a JavaScript flag, and those that never change whether a pattern matches. */
const REGEX_FLAGS: Readonly<Record<string, string>> = { caseless: 'i', multiline: 'm', dotall: 's', utf: 'u' };
const REGEX_NEUTRAL = new Set([
  'dollar_endonly', 'never_ucp', 'never_utf', 'no_auto_possess', 'no_dotstar_anchor', 'no_start_optimize',
  'auto_callout', 'never_backslash_c',
]);

export function httpKeyword(d: CheckDraft, k: Statement, warnings: ConfigWarning[]): boolean {
  const h = d.http;
  switch (k.keyword) {
    case 'url':
      h.urls.push(parseUrl(k, d, warnings));
      return true;
    case 'virtualhost':
      v.expectArgs(k, 1, 1, 'HOST');
      h.virtualhost = k.args[0] as string;
      return true;
    case 'http_protocol':
      h.protocol = httpProtocol(k);
      return true;
    case 'fast_recovery':
    case 'tls_compliant':
      v.expectArgs(k, 0, 1, '[BOOL]');
      return true;
    case 'enable_sni':
      v.expectArgs(k, 0, 1, '[BOOL]');
      h.sni = k.args[0] === undefined || v.bool(k, k.args[0]);
      return true;
    case 'sni_name':
      v.expectArgs(k, 1, 1, 'NAME');
      h.sniName = k.args[0] as string;
      return true;
    case 'nb_get_retry':
      warn(k, 'nb_get_retry is deprecated, use retry (as keepalived says)', warnings);
      v.expectArgs(k, 1, 1, 'COUNT');
      d.own.retry = v.uint(k, k.args[0] as string, 0, 1_000_000);
      return true;
    default:
      return false;
  }
}

function httpProtocol(k: Statement): HttpProtocol {
  v.expectArgs(k, 1, 1, '1.0|1.0C|1.1');
  const p = (k.args[0] as string).toUpperCase();
  if (p === '1.0' || p === '1.0C' || p === '1.1') return p;
  v.fail(k, `'${k.args[0]}' is not one of 1.0, 1.0C, 1.1`);
}

/** A url's regex keywords as said, before the pattern is checked. */
interface RegexDraft {
  pattern: string | null;
  options: string[];
  noMatch: boolean;
  min: number;
  max: number | null;
  stmt: Statement;
}

function parseUrl(s: Statement, d: CheckDraft, warnings: ConfigWarning[]): HttpUrlConfig {
  v.expectArgs(s, 0);
  const url: HttpUrlConfig = { path: '', statusCodes: [], digest: null };
  const re: RegexDraft = { pattern: null, options: [], noMatch: false, min: 0, max: null, stmt: s };
  for (const k of s.block ?? []) {
    if (urlKeyword(url, k) || regexKeyword(re, k) || k.keyword === 'tls_compliant') continue;
    if (UNSUPPORTED_IN_CHECK.has(k.keyword)) warn(k, `keyword ${k.keyword} not supported, ignored`, warnings);
    else ignored(k, UNSUPPORTED_IN_CHECK, warnings);
  }
  if (url.path === '') v.fail(s, 'needs a path (url { path /healthz })');
  if (url.statusCodes.length === 0) url.statusCodes.push([200, 299]);
  if (re.pattern !== null) {
    const regex = httpRegex(re.pattern, re.options, re.noMatch, re.min, re.max, re.stmt, d);
    if (regex) url.regex = regex;
  }
  return url;
}

function urlKeyword(url: HttpUrlConfig, k: Statement): boolean {
  switch (k.keyword) {
    case 'path':
      v.expectArgs(k, 1, 1, '/PATH');
      url.path = k.args[0] as string;
      if (!url.path.startsWith('/') || /\s/.test(url.path)) v.fail(k, `'${url.path}' is not an absolute path such as /healthz`);
      return true;
    case 'status_code':
      if (k.args.length === 0) v.fail(k, 'expects status codes or ranges (status_code 200 301-302)');
      for (const a of k.args) url.statusCodes.push(statusRange(k, a));
      return true;
    case 'digest':
      url.digest = digest(k);
      return true;
    case 'virtualhost':
      v.expectArgs(k, 1, 1, 'HOST');
      url.virtualhost = k.args[0] as string;
      return true;
    default:
      return false;
  }
}

function regexKeyword(re: RegexDraft, k: Statement): boolean {
  switch (k.keyword) {
    case 'regex':
      if (k.args.length === 0) v.fail(k, 'expects a regular expression');
      re.pattern = k.args.join(' ');
      re.stmt = k;
      return true;
    case 'regex_no_match':
      v.expectArgs(k, 0);
      re.noMatch = true;
      return true;
    case 'regex_options':
      re.options.push(...k.args);
      return true;
    case 'regex_min_offset':
    case 'regex_max_offset': {
      v.expectArgs(k, 1, 1, 'OFFSET');
      const n = v.uint(k, k.args[0] as string, 0, 1 << 30);
      if (k.keyword === 'regex_min_offset') re.min = n;
      else re.max = n;
      return true;
    }
    default:
      return false;
  }
}

function digest(k: Statement): string {
  v.expectArgs(k, 1, 1, 'MD5HEX');
  const hex = (k.args[0] as string).toLowerCase();
  if (!/^[0-9a-f]{32}$/.test(hex)) v.fail(k, `'${k.args[0]}' is not an md5 digest (32 hex digits, as genhash prints)`);
  return hex;
}

/** The regex as a JavaScript RegExp; a pattern or option JavaScript cannot honour refuses the check. */
function httpRegex(
  pattern: string, options: string[], noMatch: boolean, min: number, max: number | null, k: Statement, d: CheckDraft,
): HttpRegexConfig | null {
  let flags = '';
  for (const o of options) {
    const flag = REGEX_FLAGS[o];
    if (flag !== undefined) flags += flags.includes(flag) ? '' : flag;
    else if (!REGEX_NEUTRAL.has(o)) return refuseRegex(d, k, `regex_options ${o} has no JavaScript equivalent`);
  }
  try {
    new RegExp(pattern, flags);
  } catch (err) {
    return refuseRegex(d, k, `regex '${pattern}' is not a JavaScript regular expression (${(err as Error).message})`);
  }
  if (max !== null && min > max) v.fail(k, `regex_min_offset ${min} is beyond regex_max_offset ${max}`);
  return { pattern, flags, noMatch, minOffset: min, maxOffset: max };
}

function refuseRegex(d: CheckDraft, k: Statement, reason: string): null {
  d.refusal ??= { stmt: k, reason };
  return null;
}

function statusRange(s: Statement, text: string): [number, number] {
  const m = /^(\d{3})(?:-(\d{3}))?$/.exec(text);
  const lo = Number(m?.[1]);
  const hi = m?.[2] === undefined ? lo : Number(m[2]);
  if (!m || lo < 100 || hi > 599 || hi < lo) v.fail(s, `'${text}' is not a status code or range in 100..599`);
  return [lo, hi];
}

export function dnsKeyword(d: CheckDraft, k: Statement): boolean {
  if (k.keyword === 'type') {
    v.expectArgs(k, 1, 1, 'A|NS|CNAME|SOA|MX|TXT|AAAA|RRSIG|DNSKEY');
    const type = (k.args[0] as string).toUpperCase();
    if (!Object.hasOwn(DNS_TYPES, type)) v.fail(k, `'${k.args[0]}' is not one of ${Object.keys(DNS_TYPES).join(', ')}`);
    d.dns.type = type;
    return true;
  }
  if (k.keyword === 'name') {
    v.expectArgs(k, 1, 1, 'DOMAIN');
    const name = k.args[0] as string;
    const labels = name === '.' ? [] : name.replace(/\.$/, '').split('.');
    if (labels.some((l) => l.length === 0 || l.length > 63) || name.length > 253) {
      v.fail(k, `'${name}' is not a domain name (empty label, or a label over 63 characters)`);
    }
    d.dns.name = name;
    return true;
  }
  return false;
}

export function udpKeyword(d: CheckDraft, k: Statement): boolean {
  const u = d.udp;
  switch (k.keyword) {
    case 'payload':
      if (k.args.length === 0) v.fail(k, 'expects a hex string (payload 0a1b2c)');
      u.payload = hexString(k, false).data;
      return true;
    case 'require_reply':
      Object.assign(u, { requireReply: true }, k.args.length === 0 ? { data: '', mask: '' } : hexString(k, true));
      return true;
    case 'min_reply_length':
      v.expectArgs(k, 1, 1, 'BYTES');
      u.minLength = v.uint(k, k.args[0] as string, 0, 65535);
      return true;
    case 'max_reply_length':
      v.expectArgs(k, 1, 1, 'BYTES');
      u.maxLength = v.uint(k, k.args[0] as string, 0, 65535);
      return true;
    default:
      return false;
  }
}

/** require_reply as the checker needs it, or null when no reply is required. */
export function udpReply(d: CheckDraft, warnings: ConfigWarning[]): UdpReplyConfig | null {
  const u = d.udp;
  if (!u.requireReply) return null;
  if (u.minLength > u.maxLength) {
    warn(d.stmt, `min_reply_length ${u.minLength} > max_reply_length ${u.maxLength}: this check always fails (as in keepalived)`, warnings);
  }
  return { data: u.data, mask: u.mask, minLength: u.minLength, maxLength: u.maxLength };
}

/**
 * keepalived's free-form hex: blanks separate groups, two digits make a byte and a lone digit is
 * one ("Ab12f 3" is AB 12 0F 03); with wildcards, x stands for a nibble that is not compared.
 */
export function hexString(k: Statement, wildcards: boolean): { data: string; mask: string } {
  let data = '';
  let mask = '';
  for (const group of k.args) {
    for (let i = 0; i < group.length; i += 2) {
      const pair = group.slice(i, i + 2).padStart(2, '0');
      if (!(wildcards ? /^[0-9a-fx]{2}$/i : /^[0-9a-f]{2}$/i).test(pair)) {
        v.fail(k, `'${group}' is not a hex string${wildcards ? ' (digits, or x for any nibble)' : ''}`);
      }
      data += pair.toLowerCase().replace(/x/g, '0');
      mask += pair.replace(/[0-9a-f]/gi, '0').replace(/x/gi, 'f');
    }
  }
  return { data, mask: /f/.test(mask) ? mask : '' };
}

export function smtpKeyword(d: CheckDraft, k: Statement): boolean {
  if (k.keyword !== 'helo_name') return false;
  v.expectArgs(k, 1, 1, 'NAME');
  const name = k.args[0] as string;
  if (/[\r\n]/.test(name) || name === '') v.fail(k, 'a HELO name is one non-empty line');
  d.smtp.heloName = name;
  return true;
}

export function fileKeyword(d: CheckDraft, k: Statement): boolean {
  if (k.keyword === 'track_file') {
    v.expectArgs(k, 1, 1, 'NAME');
    d.file.trackFile = k.args[0] as string;
    d.file.stmt = k;
    return true;
  }
  if (k.keyword === 'weight') {
    const w = trackWeight(k);
    d.file.weight = w.weight;
    d.file.reverse = w.reverse;
    return true;
  }
  return false;
}

export function miscKeyword(d: CheckDraft, k: Statement): boolean {
  switch (k.keyword) {
    case 'misc_path':
      if (k.args.length === 0) v.fail(k, 'expects the script to run (misc_path "/path/to/script ARGS")');
      d.misc.path = k.args.join(' ');
      return true;
    case 'misc_timeout':
      v.expectArgs(k, 1, 1, 'SECONDS');
      d.misc.timeout = v.uint(k, k.args[0] as string, 0, 86400);
      return true;
    case 'misc_dynamic':
      v.expectArgs(k, 0);
      d.misc.dynamic = true;
      return true;
    case 'user':
      v.expectArgs(k, 1, 2, 'USER [GROUP]');
      d.misc.user = k.args[0] as string;
      d.misc.group = k.args[1] ?? null;
      return true;
    default:
      return false;
  }
}
