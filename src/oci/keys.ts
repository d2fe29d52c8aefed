/**
 * OCI API keys with node:crypto only: reads PKCS#1 or PKCS#8 PEM (optionally encrypted), repairs the
 * usual copy-paste damage (literal \n, CRLF, indentation, a base64-wrapped PEM, a key squashed onto one
 * line), says which format it saw when it cannot use a key, and computes the fingerprint OCI shows.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';

export type KeyFormat =
  | 'PKCS#1 RSA private key'
  | 'PKCS#1 RSA private key (encrypted)'
  | 'PKCS#8 private key'
  | 'PKCS#8 private key (encrypted)'
  | 'EC private key'
  | 'OpenSSH private key'
  | 'PuTTY private key'
  | 'public key'
  | 'SSH public key'
  | 'X.509 certificate'
  | 'file path'
  | 'PEM block of an unknown type'
  | 'PEM without its END line'
  | 'PEM without its BEGIN line'
  | 'PEM with mismatched BEGIN and END lines'
  | 'base64 text without PEM lines'
  | 'text without a PEM header';

export type KeyProblem = 'unusable-format' | 'damaged' | 'unreadable' | 'not-rsa' | 'too-small' | 'passphrase-missing' | 'passphrase-wrong';

/** OCI API keys are RSA keys of at least this many bits (Console: My profile > API keys refuses smaller ones). */
export const MIN_RSA_BITS = 2048;

/** Why a key cannot be used, with the format seen and what to do. Never contains key material. */
export class KeyError extends Error {
  constructor(
    readonly problem: KeyProblem,
    readonly format: KeyFormat,
    message: string,
    readonly fix: string,
  ) {
    super(message);
    this.name = 'KeyError';
  }
}

export interface ApiKey {
  privateKey: KeyObject;
  format: KeyFormat;
  encrypted: boolean;
  /** MD5 of the DER SubjectPublicKeyInfo, colon-separated lower-case hex (what the Console shows). */
  fingerprint: string;
  /** The key as unencrypted PKCS#8 PEM: a secret, for the credential helper's 0600 file. */
  pkcs8Pem: string;
  /** Repairs made to the text (for an info line), e.g. "converted literal \n to line breaks". */
  repairs: string[];
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/;
const BEGIN_LINE = /-----BEGIN ([A-Z0-9 ]+)-----/;
const END_LINE = /-----END ([A-Z0-9 ]+)-----/;
/** A PEM body (or a DER key) in base64 with no BEGIN/END lines: at least one 64-column line's worth. */
const BARE_BASE64 = /^[A-Za-z0-9+/=\s]+$/;

/** Undoes copy-paste damage and re-wraps the PEM body at 64 columns; returns the text and what was repaired. */
export function normalizeKeyText(raw: string): { text: string; repairs: string[] } {
  const repairs: string[] = [];
  let text = raw.replace(/\r\n?/g, '\n').trim();
  if (!text.includes('\n') && text.includes('\\n')) {
    text = text.replace(/\\n/g, '\n');
    repairs.push('converted literal \\n sequences to line breaks');
  }
  if (!text.includes('-----BEGIN') && /^[A-Za-z0-9+/=\s]+$/.test(text) && text.length > 40) {
    const decoded = Buffer.from(text.replace(/\s+/g, ''), 'base64').toString('utf8');
    if (decoded.includes('-----BEGIN')) {
      text = decoded.replace(/\r\n?/g, '\n').trim();
      repairs.push('decoded a base64-encoded PEM');
    }
  }
  const m = BLOCK.exec(text);
  if (!m) return { text, repairs };
  const label = m[1]!;
  const tokens = m[2]!.trim().split(/\s+/).filter(Boolean);
  const headers: string[] = [];
  // Encrypted PKCS#1 keeps RFC 1421 headers ("Proc-Type: 4,ENCRYPTED", "DEK-Info: AES-256-CBC,<iv>").
  while (tokens.length >= 2 && /^[A-Za-z-]+:$/.test(tokens[0]!)) headers.push(`${tokens.shift()!} ${tokens.shift()!}`);
  const body = tokens.join('');
  const lines = body.match(/.{1,64}/g) ?? [];
  const rebuilt = [`-----BEGIN ${label}-----`, ...headers, ...(headers.length ? [''] : []), ...lines, `-----END ${label}-----`, ''].join('\n');
  if (!m[2]!.includes('\n') && body.length > 64) repairs.push('restored the line breaks of a PEM squashed onto one line');
  return { text: rebuilt, repairs };
}

/** Names the format of a key text (after normalizeKeyText). */
export function detectKeyFormat(text: string): KeyFormat {
  const m = BLOCK.exec(text);
  if (m) {
    switch (m[1]) {
      case 'RSA PRIVATE KEY':
        return /Proc-Type:\s*4,ENCRYPTED/.test(m[2]!) ? 'PKCS#1 RSA private key (encrypted)' : 'PKCS#1 RSA private key';
      case 'PRIVATE KEY':
        return 'PKCS#8 private key';
      case 'ENCRYPTED PRIVATE KEY':
        return 'PKCS#8 private key (encrypted)';
      case 'EC PRIVATE KEY':
        return 'EC private key';
      case 'OPENSSH PRIVATE KEY':
        return 'OpenSSH private key';
      case 'PUBLIC KEY':
      case 'RSA PUBLIC KEY':
        return 'public key';
      case 'CERTIFICATE':
        return 'X.509 certificate';
      default:
        return 'PEM block of an unknown type';
    }
  }
  // Damaged PEM: the labels are all that is quoted later, never the body.
  const begin = BEGIN_LINE.exec(text);
  const end = END_LINE.exec(text);
  if (begin && !end) return 'PEM without its END line';
  if (end && !begin) return 'PEM without its BEGIN line';
  if (begin && end) return 'PEM with mismatched BEGIN and END lines';
  if (/^PuTTY-User-Key-File/.test(text)) return 'PuTTY private key';
  if (/^(ssh-rsa|ssh-ed25519|ecdsa-sha2-\S+) /.test(text)) return 'SSH public key';
  if (/^(~|\/|\.{1,2}\/|[A-Za-z]:\\)?[\w./\\~-]+\.(pem|key)$/.test(text) || /^(~|\/)[\w./-]+$/.test(text)) return 'file path';
  if (BARE_BASE64.test(text) && text.replace(/\s+/g, '').length >= 64) return 'base64 text without PEM lines';
  return 'text without a PEM header';
}

/**
 * Whether a text may hold key material (a PEM block or part of one, an OpenSSH or PuTTY key, a base64 run), so
 * that it must be masked and never excerpted. A text that is none of these (a kubeconfig, a note) may be quoted.
 */
export function isKeyMaterial(raw: string): boolean {
  const { text } = normalizeKeyText(raw);
  return /-----(BEGIN|END) /.test(text) || /PuTTY-User-Key-File|^(ssh|ecdsa)-\S+ /m.test(text) || /[A-Za-z0-9+/]{40,}/.test(text);
}

const PASTE_AGAIN = 'paste the whole key file again, from its -----BEGIN line through its -----END line (`gh secret set OCI_PRIVATE_KEY < oci_api_key.pem` copies a file exactly)';

/**
 * What is wrong with a damaged or non-PEM text, in words that name only the PEM labels (never the body), or
 * undefined for a format that is a whole PEM block.
 */
function damage(text: string, format: KeyFormat): { message: string; fix: string } | undefined {
  const begin = BEGIN_LINE.exec(text)?.[1];
  const end = END_LINE.exec(text)?.[1];
  const lines = text.split('\n').length;
  switch (format) {
    case 'PEM without its END line':
      return { message: `has its BEGIN ${begin} line but no END line: the text was probably cut off when it was copied or pasted into the secret (${lines} lines are there)`, fix: PASTE_AGAIN };
    case 'PEM without its BEGIN line':
      return { message: `has an END ${end} line but no BEGIN line before it: the start of the text was probably lost when it was copied or pasted into the secret`, fix: PASTE_AGAIN };
    case 'PEM with mismatched BEGIN and END lines':
      return { message: `begins with a BEGIN ${begin} line but ends with END ${end}: pieces of two different PEM files pasted together`, fix: `${PASTE_AGAIN}; one key, nothing else` };
    case 'base64 text without PEM lines':
      return { message: `is base64 text (${lines} lines) without the -----BEGIN and -----END lines of a PEM file`, fix: PASTE_AGAIN };
    case 'text without a PEM header':
      return { message: `is not a PEM key: it has no -----BEGIN line (${text.length} characters on ${lines} line${lines === 1 ? '' : 's'})`, fix: FORMAT_FIX[format]! };
    default:
      return undefined;
  }
}

const CONVERT = 'convert it to PEM: `openssl pkcs8 -topk8 -in <key> -out key.pem` (add -nocrypt for no passphrase)';
const FORMAT_FIX: Partial<Record<KeyFormat, string>> = {
  'EC private key': 'OCI API keys are RSA keys: generate one with `openssl genrsa -out oci_api_key.pem 2048`, upload its public key (My profile > API keys) and use it here',
  'OpenSSH private key': 'convert it in place to PEM: `ssh-keygen -p -m PEM -f <key>` (OCI API keys are PEM files, as `oci setup keys` writes them)',
  'PuTTY private key': 'export it as PEM: `puttygen key.ppk -O private-openssh -o key.pem`',
  'public key': 'pass the private key whose public half you uploaded to OCI (the file usually named oci_api_key.pem, not oci_api_key_public.pem)',
  'SSH public key': 'pass the PEM private key of your OCI API key, not an SSH public key',
  'X.509 certificate': 'pass the PEM private key of your OCI API key, not a certificate',
  'file path': 'pass the key content (e.g. `${{ secrets.OCI_PRIVATE_KEY }}`), or set the OCI_CLI_KEY_FILE environment variable to the path',
  'PEM block of an unknown type': `pass an RSA private key in PKCS#1 ("RSA PRIVATE KEY") or PKCS#8 ("PRIVATE KEY") PEM; ${CONVERT}`,
  'text without a PEM header': 'paste the whole PEM file including its -----BEGIN and -----END lines; a GitHub secret keeps line breaks',
};

/** "a PKCS#8 private key", "an EC private key". */
export function withArticle(format: KeyFormat): string {
  return `${/^(EC|OpenSSH|X\.509|SSH)/.test(format) ? 'an' : 'a'} ${format}`;
}

export function isEncryptedFormat(format: KeyFormat): boolean {
  return format.endsWith('(encrypted)');
}

/**
 * Reads an RSA private key from PEM text. Throws a KeyError naming the format seen and the fix when the
 * key is not usable, the passphrase is missing, or the passphrase does not decrypt it.
 */
export function parseApiKey(raw: string, passphrase?: string): ApiKey {
  const { text, repairs } = normalizeKeyText(raw);
  const format = detectKeyFormat(text);
  const damaged = damage(text, format);
  if (damaged) throw new KeyError('damaged', format, damaged.message, damaged.fix);
  const usable = format.startsWith('PKCS#');
  if (!usable) throw new KeyError(format === 'EC private key' ? 'not-rsa' : 'unusable-format', format, `is ${withArticle(format)}, which cannot sign OCI requests`, FORMAT_FIX[format] ?? CONVERT);
  const encrypted = isEncryptedFormat(format);
  if (encrypted && !passphrase) {
    throw new KeyError('passphrase-missing', format, `is ${withArticle(format)} and no passphrase was given`, 'set `passphrase` (or OCI_CLI_PASSPHRASE) to the key\'s passphrase');
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: text, format: 'pem', ...(encrypted ? { passphrase } : {}) });
  } catch {
    if (encrypted) throw new KeyError('passphrase-wrong', format, `is ${withArticle(format)} and the passphrase does not decrypt it`, 'check `passphrase` (or OCI_CLI_PASSPHRASE): it must be the passphrase chosen when the key was made');
    throw new KeyError('unreadable', format, `looks like ${withArticle(format)} but its content does not parse (truncated or altered when it was copied?)`, 'paste the complete key file again, including the -----BEGIN and -----END lines');
  }
  if (privateKey.asymmetricKeyType !== 'rsa') {
    const type = privateKey.asymmetricKeyType ?? 'unknown';
    throw new KeyError('not-rsa', format, `is ${withArticle(format)} holding ${/^(ec|ed)/.test(type) ? 'an' : 'a'} ${type === 'ec' ? 'EC' : type} key, not RSA`, FORMAT_FIX['EC private key']!);
  }
  const bits = privateKey.asymmetricKeyDetails?.modulusLength;
  if (bits !== undefined && bits < MIN_RSA_BITS) {
    throw new KeyError('too-small', format, `is an RSA key of ${bits} bits; OCI API keys have at least ${MIN_RSA_BITS}`, 'generate a new key with `openssl genrsa -out oci_api_key.pem 2048`, upload its public key (My profile > API keys) and use it here');
  }
  return {
    privateKey,
    format,
    encrypted,
    fingerprint: fingerprintOf(privateKey),
    pkcs8Pem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    repairs,
  };
}

/** OCI's API-key fingerprint: MD5 over the DER SubjectPublicKeyInfo, as colon-separated hex. */
export function fingerprintOf(key: KeyObject): string {
  const der = (key.type === 'public' ? key : createPublicKey(key)).export({ type: 'spki', format: 'der' });
  return createHash('md5').update(der).digest('hex').match(/../g)!.join(':');
}

/** Base64 DER SubjectPublicKeyInfo: the `public_key` of the UPST token exchange. */
export function publicKeyDerBase64(key: KeyObject): string {
  return createPublicKey(key).export({ type: 'spki', format: 'der' }).toString('base64');
}

/** A fresh RSA key for one run (keyless login): never leaves the runner except in a 0600 file. */
export function generateSessionKey(): KeyObject {
  return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
}
