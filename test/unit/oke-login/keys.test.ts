import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { detectKeyFormat, fingerprintOf, isKeyMaterial, KeyError, normalizeKeyText, parseApiKey, publicKeyDerBase64 } from '../../../src/oci/keys.js';
import { fixture, KEY_FINGERPRINT, PASSPHRASE } from './fixtures.js';

const pkcs1 = fixture('api-key-pkcs1.pem');
const keyError = (fn: () => unknown): KeyError => {
  try {
    fn();
  } catch (e) {
    if (e instanceof KeyError) return e;
    throw e;
  }
  throw new Error('expected a KeyError');
};

describe('parseApiKey: usable keys', () => {
  it.each([
    ['api-key-pkcs1.pem', undefined, 'PKCS#1 RSA private key', false],
    ['api-key-pkcs8.pem', undefined, 'PKCS#8 private key', false],
    ['api-key-pkcs1-encrypted.pem', PASSPHRASE, 'PKCS#1 RSA private key (encrypted)', true],
    ['api-key-pkcs8-encrypted.pem', PASSPHRASE, 'PKCS#8 private key (encrypted)', true],
  ])('%s', (file, passphrase, format, encrypted) => {
    const key = parseApiKey(fixture(file), passphrase);
    expect(key.format).toBe(format);
    expect(key.encrypted).toBe(encrypted);
    expect(key.fingerprint).toBe(KEY_FINGERPRINT);
    expect(key.pkcs8Pem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(key.repairs).toEqual([]);
  });

  it('the unencrypted PKCS#8 it keeps is the same key', () => {
    const key = parseApiKey(fixture('api-key-pkcs8-encrypted.pem'), PASSPHRASE);
    expect(createPublicKey(createPrivateKey(key.pkcs8Pem)).export({ type: 'spki', format: 'pem' })).toBe(fixture('api-key-public.pem'));
  });
});

describe('parseApiKey: copy-paste damage is repaired', () => {
  const oneLine = pkcs1.trim().replace(/\n/g, ' ');
  it.each([
    ['literal \\n sequences', pkcs1.trim().replace(/\n/g, '\\n'), 'converted literal \\n sequences to line breaks'],
    ['CRLF line ends', pkcs1.replace(/\n/g, '\r\n'), undefined],
    ['indented lines and trailing spaces', pkcs1.split('\n').map((l) => `   ${l}  `).join('\n'), undefined],
    ['base64 of the PEM', Buffer.from(pkcs1).toString('base64'), 'decoded a base64-encoded PEM'],
    ['a PEM squashed onto one line', oneLine, 'restored the line breaks of a PEM squashed onto one line'],
  ])('%s', (_, text, repair) => {
    const key = parseApiKey(text);
    expect(key.fingerprint).toBe(KEY_FINGERPRINT);
    if (repair) expect(key.repairs).toContain(repair);
  });

  it('keeps the RFC 1421 headers of an encrypted PKCS#1 squashed onto one line', () => {
    const text = fixture('api-key-pkcs1-encrypted.pem').trim().replace(/\n+/g, ' ');
    expect(normalizeKeyText(text).text).toMatch(/^-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-256-CBC,[0-9A-F]+\n\n/);
    expect(parseApiKey(text, PASSPHRASE).fingerprint).toBe(KEY_FINGERPRINT);
  });
});

describe('parseApiKey: unusable keys say which format was seen', () => {
  const cases: Array<[string, string, string | undefined, string, string, RegExp]> = [
    ['encrypted PKCS#1 without passphrase', 'api-key-pkcs1-encrypted.pem', undefined, 'passphrase-missing', 'PKCS#1 RSA private key (encrypted)', /passphrase/],
    ['encrypted PKCS#8 without passphrase', 'api-key-pkcs8-encrypted.pem', undefined, 'passphrase-missing', 'PKCS#8 private key (encrypted)', /passphrase/],
    ['encrypted PKCS#1, wrong passphrase', 'api-key-pkcs1-encrypted.pem', 'wrong', 'passphrase-wrong', 'PKCS#1 RSA private key (encrypted)', /passphrase/],
    ['encrypted PKCS#8, wrong passphrase', 'api-key-pkcs8-encrypted.pem', 'wrong', 'passphrase-wrong', 'PKCS#8 private key (encrypted)', /passphrase/],
    ['EC key', 'ec-key.pem', undefined, 'not-rsa', 'EC private key', /openssl genrsa/],
    ['OpenSSH key', 'openssh-key.txt', undefined, 'unusable-format', 'OpenSSH private key', /ssh-keygen -p -m PEM/],
    ['public key', 'api-key-public.pem', undefined, 'unusable-format', 'public key', /private key whose public half/],
  ];
  it.each(cases)('%s', (_, file, passphrase, problem, format, fix) => {
    const err = (() => {
      try {
        parseApiKey(fixture(file), passphrase);
      } catch (e) {
        return e as KeyError;
      }
      throw new Error('expected a KeyError');
    })();
    expect(err).toBeInstanceOf(KeyError);
    expect(err.problem).toBe(problem);
    expect(err.format).toBe(format);
    expect(err.message).toContain(format);
    expect(err.fix).toMatch(fix);
  });

  it.each([
    ['/home/runner/.oci/oci_api_key.pem', 'file path'],
    ['~/.oci/key.pem', 'file path'],
    ['ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC test@host', 'SSH public key'],
    ['PuTTY-User-Key-File-3: ssh-rsa\nEncryption: none', 'PuTTY private key'],
    ['-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----', 'X.509 certificate'],
    ['-----BEGIN DSA PRIVATE KEY-----\nMIIB\n-----END DSA PRIVATE KEY-----', 'PEM block of an unknown type'],
  ])('%s -> %s', (text, format) => {
    expect(detectKeyFormat(normalizeKeyText(text).text)).toBe(format);
    expect(() => parseApiKey(text)).toThrow(new RegExp(`is an? ${format.replace(/[.#()]/g, '\\$&')}`));
  });

  const lines = pkcs1.trim().split('\n');
  const body = lines.slice(1, -1);
  it.each<[string, string, string, RegExp]>([
    ['cut off after the BEGIN line (no END)', lines.slice(0, 12).join('\n'), 'PEM without its END line', /^has its BEGIN RSA PRIVATE KEY line but no END line: the text was probably cut off when it was copied or pasted into the secret \(12 lines are there\)$/],
    ['only the BEGIN line', lines[0]!, 'PEM without its END line', /^has its BEGIN RSA PRIVATE KEY line but no END line/],
    ['the start lost (END, no BEGIN)', lines.slice(5).join('\n'), 'PEM without its BEGIN line', /^has an END RSA PRIVATE KEY line but no BEGIN line before it/],
    ['BEGIN and END of different types', [lines[0], ...body, '-----END PUBLIC KEY-----'].join('\n'), 'PEM with mismatched BEGIN and END lines', /^begins with a BEGIN RSA PRIVATE KEY line but ends with END PUBLIC KEY: pieces of two different PEM files pasted together$/],
    ['the body without BEGIN and END', body.join('\n'), 'base64 text without PEM lines', /^is base64 text \(\d+ lines\) without the -----BEGIN and -----END lines of a PEM file$/],
    ['plain text', 'hello world', 'text without a PEM header', /^is not a PEM key: it has no -----BEGIN line \(11 characters on 1 line\)$/],
  ])('%s: says what is wrong, never the body', (_, text, format, message) => {
    expect(detectKeyFormat(normalizeKeyText(text).text)).toBe(format);
    const err = keyError(() => parseApiKey(text));
    expect(err).toMatchObject({ problem: 'damaged', format });
    expect(err.message).toMatch(message);
    for (const line of body) expect(`${err.message} ${err.fix}`).not.toContain(line);
  });

  it('an RSA key shorter than 2048 bits, and an Ed25519 key in PKCS#8', () => {
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    expect(keyError(() => parseApiKey(small))).toMatchObject({ problem: 'too-small', message: 'is an RSA key of 1024 bits; OCI API keys have at least 2048' });
    const ed = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    expect(keyError(() => parseApiKey(ed))).toMatchObject({ problem: 'not-rsa', message: 'is a PKCS#8 private key holding an ed25519 key, not RSA' });
  });

  it('isKeyMaterial: key-shaped texts (even damaged) are, configuration files are not', () => {
    for (const t of [pkcs1, lines.slice(0, 3).join('\n'), body.join('\n'), fixture('openssh-key.txt'), 'PuTTY-User-Key-File-3: ssh-rsa']) expect(isKeyMaterial(t)).toBe(true);
    for (const t of ['apiVersion: v1\nkind: Config', 'hello', '[DEFAULT]\nuser=ocid1.user.oc1..aaaa']) expect(isKeyMaterial(t)).toBe(false);
  });

  it('a damaged body is reported as unreadable, with the format it claimed', () => {
    const damaged = pkcs1.replace(/\n[A-Za-z0-9+/]{64}\n/, '\nAAAA\n');
    expect(() => parseApiKey(damaged)).toThrow('looks like a PKCS#1 RSA private key but its content does not parse');
  });

  it('never puts key material into the error', () => {
    const body = pkcs1.split('\n')[3]!;
    for (const [file, pass] of [['api-key-pkcs1-encrypted.pem', 'wrong'], ['ec-key.pem', undefined]] as const) {
      try {
        parseApiKey(fixture(file), pass);
      } catch (e) {
        expect(`${(e as KeyError).message} ${(e as KeyError).fix}`).not.toContain(body.slice(0, 20));
      }
    }
  });
});

describe('fingerprints', () => {
  it('is MD5 over the DER public key, colon-separated (matches `openssl md5 -c`)', () => {
    expect(fingerprintOf(createPrivateKey(pkcs1))).toBe(KEY_FINGERPRINT);
    expect(fingerprintOf(createPublicKey(fixture('api-key-public.pem')))).toBe(KEY_FINGERPRINT);
  });

  it('public_key for the token exchange is base64 DER SPKI', () => {
    const der = Buffer.from(publicKeyDerBase64(createPrivateKey(pkcs1)), 'base64');
    expect(createPublicKey({ key: der, format: 'der', type: 'spki' }).export({ type: 'spki', format: 'pem' })).toBe(fixture('api-key-public.pem'));
  });
});
