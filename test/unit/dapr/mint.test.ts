import { execFileSync } from 'node:child_process';
import { createHash, createPrivateKey, createPublicKey, sign, verify, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { earliestExpiry } from '../../../src/dapr/certs.js';
import { bitString, boolean, contextTag, directoryString, encodeLength, integer, namedBits, oid, readChildren, readTlv, sequence, TAG, time, type Tlv } from '../../../src/dapr/der.js';
import { DAPR_DEFAULT_CLOCK_SKEW_MS, mintDaprBundle, type DaprCaKeyType, type MintedBundle } from '../../../src/dapr/mint.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const DAY = 86_400_000;
const SENTRY_ID = 'spiffe://cluster.local/ns/dapr-system/dapr-sentry';

// Minted by Dapr itself: github.com/dapr/dapr@v1.18.2 bundle.GenerateX509 (sentry's code path), trust domain
// cluster.local, NAMESPACE=dapr-system, 15m skew; with an Ed25519 root key (as sentry 1.18's ca.go) and with an
// ECDSA P-256 root key. Public certificates only; their keys were never kept.
const DAPR_ED25519_ROOT = `-----BEGIN CERTIFICATE-----
MIIBMDCB46ADAgECAhEAiYeKtHaubR0t2UBC/GvMnTAFBgMrZXAwGDEWMBQGA1UE
ChMNY2x1c3Rlci5sb2NhbDAeFw0yNjExMzAxNzM2MDNaFw0yNzExMzAxNzUxMDNa
MBgxFjAUBgNVBAoTDWNsdXN0ZXIubG9jYWwwKjAFBgMrZXADIQDme9DPEzQcAf7Q
GYRaQ3NMyNoXrNTNdtzunzegyOLLXKNCMEAwDgYDVR0PAQH/BAQDAgKEMA8GA1Ud
EwEB/wQFMAMBAf8wHQYDVR0OBBYEFJt3Yl6hFtdzJ7xyBLMbM1f9jwwtMAUGAytl
cANBALF9P2udc1h0h26/KVcJJGWImn3wvkdHUqD8VRwFaQjIBxFJE1aoFH+Qww/n
EVkcFHphezr567euwBpSArH4KA0=
-----END CERTIFICATE-----
`;
const DAPR_ED25519_ISSUER = `-----BEGIN CERTIFICATE-----
MIIBVDCCAQagAwIBAgIQGvE98dvPgH7rwkK2G35jCjAFBgMrZXAwGDEWMBQGA1UE
ChMNY2x1c3Rlci5sb2NhbDAeFw0yNjExMzAxNzM2MDNaFw0yNzExMzAxNzUxMDNa
MDwxOjA4BgNVBAoTMXNwaWZmZTovL2NsdXN0ZXIubG9jYWwvbnMvZGFwci1zeXN0
ZW0vZGFwci1zZW50cnkwKjAFBgMrZXADIQBIepdTdnFRGVVBIbvjb/lpA8zoNjah
T+of8iHse5UQgqNCMEAwDgYDVR0PAQH/BAQDAgGGMA8GA1UdEwEB/wQFMAMBAf8w
HQYDVR0OBBYEFK/8NSxrWnsQdYATWv0MAJhnpIglMAUGAytlcANBAB1GTW3bICs5
tFrdp/dJOylc2TuPuorfLQpWCsCJXHvWA2I2AAFq57qAJK3JEr3p/MPBOgt0sZ66
3saTwbqsuAw=
-----END CERTIFICATE-----
`;
const DAPR_ECDSA_ROOT = `-----BEGIN CERTIFICATE-----
MIIBcTCCARegAwIBAgIRANa8sJ889sFCZnRMScy4EK4wCgYIKoZIzj0EAwIwGDEW
MBQGA1UEChMNY2x1c3Rlci5sb2NhbDAeFw0yNjExMzAxNzM3MTNaFw0yNzExMzAx
NzUyMTNaMBgxFjAUBgNVBAoTDWNsdXN0ZXIubG9jYWwwWTATBgcqhkjOPQIBBggq
hkjOPQMBBwNCAATDKJzI5K+Vj18TnimaE6O5mvbJudMNxbvlHE7ZPN8abAYtSNuc
202IbvuLd4y3cufYv4ERXwqQljLoMxO/vjFvo0IwQDAOBgNVHQ8BAf8EBAMCAoQw
DwYDVR0TAQH/BAUwAwEB/zAdBgNVHQ4EFgQUSKZO0WosoEh/C5+2k/wjjvQSrIgw
CgYIKoZIzj0EAwIDSAAwRQIhAPKYRr7AmMY98TsxIedZ6PscpvJ/RAer2aHccxf/
jG+PAiAz9iIN1oYfrl/5ilfnt9XgtUWvbE5dItOFTUzLha7H5w==
-----END CERTIFICATE-----
`;

interface Extension { oid: string; critical: boolean; value: Buffer }

/** A certificate taken apart with the module's own DER reader (each step checks tags, so a layout slip fails). */
function parts(pem: string) {
  const [tbs, outerAlg, signature] = readChildren(readTlv(new X509Certificate(pem).raw).content) as [Tlv, Tlv, Tlv];
  const [version, serial, alg, issuer, validity, subject, spki, exts] = readChildren(tbs.content) as Tlv[];
  expect([version?.tag, serial?.tag, alg?.tag, issuer?.tag, validity?.tag, subject?.tag, spki?.tag, exts?.tag]).toEqual([0xa0, TAG.INTEGER, TAG.SEQUENCE, TAG.SEQUENCE, TAG.SEQUENCE, TAG.SEQUENCE, TAG.SEQUENCE, 0xa3]);
  const extensions: Extension[] = readChildren(readChildren(exts!.content)[0]!.content).map((e) => {
    const f = readChildren(e.content);
    const critical = f.length === 3 && f[1]!.tag === TAG.BOOLEAN && f[1]!.content[0] === 0xff;
    return { oid: hex(f[0]!.raw), critical, value: f[f.length - 1]!.content };
  });
  const keyBits = readChildren(spki!.content)[1]!;
  return {
    version: hex(version!.raw), serial: serial!.content, alg: hex(alg!.raw), outerAlg: hex(outerAlg.raw), signature,
    issuer: hex(issuer!.raw), subject: hex(subject!.raw), subjectNameTag: readChildren(readChildren(readChildren(subject!.content)[0]!.content)[0]!.content)[1]!.tag,
    validityTags: readChildren(validity!.content).map((t) => t.tag), spkiAlg: hex(readChildren(spki!.content)[0]!.raw),
    publicKeyBits: keyBits.content.subarray(1), extensions,
  };
}
const OID_SKID = hex(oid('2.5.29.14'));
const OID_AKID = hex(oid('2.5.29.35'));

describe('DER encoding', () => {
  it.each([
    [0, '020100'], [127, '02017f'], [128, '02020080'], [256, '02020100'], [2n ** 128n - 1n, `021100${'ff'.repeat(16)}`],
    [Buffer.from('0000ff', 'hex'), '020200ff'], [Buffer.from('00007f', 'hex'), '02017f'], [Buffer.alloc(0), '020100'],
  ])('INTEGER %p', (v, want) => {
    expect(hex(integer(v))).toBe(want);
  });

  it.each([
    ['2.5.4.10', '060355040a'], ['1.2.840.10045.4.3.2', '06082a8648ce3d040302'], ['1.3.101.112', '06032b6570'],
    ['1.2.840.113549.1.1.11', '06092a864886f70d01010b'], ['2.999.3', '0603883703'],
  ])('OID %s', (dotted, want) => {
    expect(hex(oid(dotted))).toBe(want);
  });

  it.each([[0, '00'], [127, '7f'], [128, '8180'], [255, '81ff'], [256, '820100'], [65_536, '83010000']])('length %d', (n, want) => {
    expect(hex(encodeLength(n))).toBe(want);
  });

  it.each([
    [[0, 5], '03020284'], // root KeyUsage: DigitalSignature | CertSign, as Go writes it
    [[0, 5, 6], '03020186'], // issuer KeyUsage: also CRLSign
    [[0], '03020780'], [[7], '03020001'], [[8], '0303070080'], [[], '030100'],
  ])('named bits %p', (bits, want) => {
    expect(hex(namedBits(bits))).toBe(want);
  });

  it.each([
    ['1949-12-31T23:59:59.000Z', TAG.GENERALIZED_TIME, '19491231235959Z'],
    ['1950-01-01T00:00:00.000Z', TAG.UTC_TIME, '500101000000Z'],
    ['2026-03-01T12:00:00.750Z', TAG.UTC_TIME, '260301120000Z'], // milliseconds truncated
    ['2049-12-31T23:59:59.999Z', TAG.UTC_TIME, '491231235959Z'],
    ['2050-01-01T00:00:00.000Z', TAG.GENERALIZED_TIME, '20500101000000Z'],
    ['9999-12-31T23:59:59.000Z', TAG.GENERALIZED_TIME, '99991231235959Z'],
  ])('time %s', (iso, tag, text) => {
    const t = readTlv(time(new Date(iso)));
    expect([t.tag, t.content.toString('ascii')]).toEqual([tag, text]);
  });

  it.each([
    ['cluster.local', TAG.PRINTABLE_STRING], [SENTRY_ID, TAG.PRINTABLE_STRING], ["A-z 0'()+,./:=?", TAG.PRINTABLE_STRING],
    ['my_domain', TAG.UTF8_STRING], ['a*b', TAG.UTF8_STRING], ['a&b', TAG.UTF8_STRING], ['café', TAG.UTF8_STRING],
  ])('directory string %p (Go: PrintableString when it can, else UTF8String)', (s, tag) => {
    const t = readTlv(directoryString(s));
    expect([t.tag, t.content.toString('utf8')]).toEqual([tag, s]);
  });

  it('encodes BOOLEAN, BIT STRING and context tags, and reads long elements back', () => {
    expect(hex(boolean(true))).toBe('0101ff');
    expect(hex(boolean(false))).toBe('010100');
    expect(hex(bitString(Buffer.from([0xab])))).toBe('030200ab');
    expect(hex(contextTag(0, integer(2)))).toBe('a003020102');
    const long = sequence(Buffer.alloc(300, 1), integer(5));
    expect(hex(long.subarray(0, 4))).toBe('3082012f');
    const t = readTlv(long);
    expect([t.tag, t.content.length, t.raw.length]).toEqual([TAG.SEQUENCE, 303, long.length]);
  });

  it.each([
    ['a negative INTEGER', () => integer(-1)],
    ['a fractional INTEGER', () => integer(1.5)],
    ['an OID with one arc', () => oid('1')],
    ['an OID with a second arc over 39 under 0 or 1', () => oid('1.40')],
    ['a year past 9999', () => time(new Date('+010000-01-01T00:00:00Z'))],
    ['an invalid date', () => time(new Date('nope'))],
    ['8 unused bits', () => bitString(Buffer.from([0]), 8)],
    ['a lone surrogate', () => directoryString('\ud800')],
    ['a truncated element', () => readTlv(Buffer.from('3005020101', 'hex'))],
    ['an indefinite length', () => readTlv(Buffer.from('3080', 'hex'))],
  ])('refuses %s', (_what, fn) => {
    expect(fn).toThrow(/^DER: /);
  });
});

describe.each<[DaprCaKeyType, string, string]>([
  ['ed25519', 'ed25519', DAPR_ED25519_ROOT],
  ['ecdsa-p256', 'ec', DAPR_ECDSA_ROOT],
])('mintDaprBundle (%s keys)', (keyType, nodeKeyType, daprRoot) => {
  const now = new Date('2026-03-01T12:00:00.750Z');
  const validForMs = 30 * DAY + 999;
  let b: MintedBundle;
  let root: X509Certificate;
  let issuer: X509Certificate;
  let dir: string;
  beforeAll(() => {
    b = mintDaprBundle({ namespace: 'dapr-system', validForMs, now, keyType });
    root = new X509Certificate(b.rootCertPem);
    issuer = new X509Certificate(b.issuerCertPem);
    dir = mkdtempSync(join(tmpdir(), 'dapr-mint-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const write = (name: string, text: string): string => {
    const file = join(dir, name);
    writeFileSync(file, text, { mode: 0o600 });
    return file;
  };
  const openssl = (...args: string[]): string => execFileSync('/usr/bin/openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

  it('makes a self-signed CA root named after the trust domain', () => {
    expect(root.subject).toBe('O=cluster.local');
    expect(root.issuer).toBe('O=cluster.local');
    expect(root.ca).toBe(true);
    expect(root.verify(root.publicKey)).toBe(true);
    expect(root.checkIssued(root)).toBe(true);
    expect(root.publicKey.asymmetricKeyType).toBe(nodeKeyType);
  });

  it("makes an issuer CA named by sentry's SPIFFE ID and signed by the root (not by itself)", () => {
    expect(issuer.subject).toBe(`O=${SENTRY_ID}`);
    expect(issuer.issuer).toBe('O=cluster.local');
    expect(issuer.ca).toBe(true);
    expect(issuer.checkIssued(root)).toBe(true);
    expect(issuer.verify(root.publicKey)).toBe(true);
    expect(issuer.verify(issuer.publicKey)).toBe(false);
    expect(root.checkIssued(issuer)).toBe(false);
  });

  it('is valid from now minus 15 minutes of clock skew until now + validForMs, in whole seconds', () => {
    const expires = new Date(Math.floor((now.getTime() + validForMs) / 1000) * 1000);
    expect(expires.toISOString()).toBe('2026-03-31T12:00:01.000Z');
    for (const c of [root, issuer]) {
      expect(new Date(c.validTo)).toEqual(expires);
      expect(new Date(c.validFrom)).toEqual(new Date('2026-03-01T11:45:00.000Z'));
    }
    expect(b.rootExpires).toEqual(expires);
    expect(b.issuerExpires).toEqual(expires);
    expect(DAPR_DEFAULT_CLOCK_SKEW_MS).toBe(15 * 60_000);
  });

  it('returns the issuer key as PKCS#8 "PRIVATE KEY" PEM that matches the issuer certificate, and no root key', () => {
    expect(b.issuerKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n[\s\S]+\n-----END PRIVATE KEY-----\n$/);
    const key = createPrivateKey(b.issuerKeyPem);
    expect(key.asymmetricKeyType).toBe(nodeKeyType);
    expect(issuer.checkPrivateKey(key)).toBe(true);
    expect(root.checkPrivateKey(key)).toBe(false);
    expect(createPublicKey(key).export({ type: 'spki', format: 'der' }).equals(issuer.publicKey.export({ type: 'spki', format: 'der' }))).toBe(true);
    const msg = Buffer.from('workload csr');
    const alg = keyType === 'ed25519' ? null : 'sha256';
    expect(verify(alg, msg, issuer.publicKey, sign(alg, msg, key))).toBe(true);
    expect(Object.keys(b).sort()).toEqual(['issuerCertPem', 'issuerExpires', 'issuerKeyPem', 'rootCertPem', 'rootExpires']);
  });

  it("lays the certificates out as Dapr 1.18.2's sentry does (compared with certificates Dapr minted)", () => {
    const mine = { root: parts(b.rootCertPem), issuer: parts(b.issuerCertPem) };
    const dapr = { root: parts(daprRoot), issuer: parts(DAPR_ED25519_ISSUER) };
    for (const which of ['root', 'issuer'] as const) {
      const [m, d] = [mine[which], dapr[which]];
      expect(m.version).toBe(d.version);
      expect([m.issuer, m.subject, m.subjectNameTag]).toEqual([d.issuer, d.subject, d.subjectNameTag]);
      expect(m.validityTags).toEqual([TAG.UTC_TIME, TAG.UTC_TIME]);
      expect(m.outerAlg).toBe(m.alg);
      // KeyUsage, BasicConstraints (critical, CA, no path length), then SubjectKeyId; no AuthorityKeyId.
      const strip = (e: Extension[]) => e.map((x) => (x.oid === OID_SKID ? { ...x, value: Buffer.alloc(0) } : x));
      expect(strip(m.extensions)).toEqual(strip(d.extensions));
      expect(m.extensions.map((e) => e.oid)).not.toContain(OID_AKID);
      // Go 1.25+: SubjectKeyId = leftmost 160 bits of SHA-256 over the key bits (checked on Dapr's own too).
      for (const p of [m, d]) {
        const skid = p.extensions.find((e) => e.oid === OID_SKID)!.value;
        expect(hex(readTlv(skid).content)).toBe(createHash('sha256').update(p.publicKeyBits).digest('hex').slice(0, 40));
      }
      // Serial: positive, below 2^128 (16 bytes, 17 with the sign byte).
      expect(m.serial.length).toBeLessThanOrEqual(17);
      expect((m.serial[0] ?? 0) & 0x80).toBe(0);
      if (m.serial.length === 17) expect(m.serial[0]).toBe(0);
    }
    expect(mine.root.alg).toBe(dapr.root.alg);
    expect(mine.root.spkiAlg).toBe(dapr.root.spkiAlg);
    expect(hex(mine.root.extensions[0]!.value)).toBe('03020284');
    expect(hex(mine.issuer.extensions[0]!.value)).toBe('03020186');
    expect(root.serialNumber).not.toBe(issuer.serialNumber);
  });

  it('passes openssl verify, which refuses the issuer against another root or once expired', () => {
    const rootFile = write('root.pem', b.rootCertPem);
    const issuerFile = write('issuer.pem', b.issuerCertPem);
    // -attime: the certificates are valid from 2026-03-01 11:45 to 2026-03-31 12:00:01.
    const at = String(Math.floor(now.getTime() / 1000));
    expect(openssl('verify', '-attime', at, '-CAfile', rootFile, issuerFile).trim()).toBe(`${issuerFile}: OK`);
    expect(openssl('verify', '-attime', at, '-CAfile', rootFile, rootFile).trim()).toBe(`${rootFile}: OK`);
    const other = write('other.pem', mintDaprBundle({ namespace: 'dapr-system', validForMs, now, keyType }).rootCertPem);
    // Every root is named O=cluster.local and there is no AuthorityKeyId (as with Dapr's): only the signature tells.
    expect(() => openssl('verify', '-attime', at, '-CAfile', other, issuerFile)).toThrow(/certificate signature failure/);
    const late = String(Math.floor(b.issuerExpires.getTime() / 1000) + 1);
    expect(() => openssl('verify', '-attime', late, '-CAfile', rootFile, issuerFile)).toThrow(/certificate has expired/);
  });

  it('shows CA:TRUE, Certificate Sign and the SPIFFE organization in openssl x509 -text', () => {
    const rootText = openssl('x509', '-noout', '-text', '-in', write('root-text.pem', b.rootCertPem));
    const issuerText = openssl('x509', '-noout', '-text', '-in', write('issuer-text.pem', b.issuerCertPem));
    for (const text of [rootText, issuerText]) {
      expect(text).toContain('Version: 3 (0x2)');
      expect(text).toMatch(/X509v3 Basic Constraints: critical\n\s+CA:TRUE\n/);
      expect(text).toContain('X509v3 Subject Key Identifier');
      expect(text).not.toContain('X509v3 Authority Key Identifier');
      expect(text).toContain(keyType === 'ed25519' ? 'Signature Algorithm: ED25519' : 'Signature Algorithm: ecdsa-with-SHA256');
    }
    expect(rootText).toMatch(/X509v3 Key Usage: critical\n\s+Digital Signature, Certificate Sign\n/);
    expect(rootText).toContain('Subject: O = cluster.local');
    expect(issuerText).toMatch(/X509v3 Key Usage: critical\n\s+Digital Signature, Certificate Sign, CRL Sign\n/);
    expect(issuerText).toContain(`Subject: O = ${SENTRY_ID}`);
    expect(issuerText).toContain('Issuer: O = cluster.local');
    const keyPub = openssl('pkey', '-pubout', '-in', write('issuer.key', b.issuerKeyPem));
    expect(openssl('x509', '-noout', '-pubkey', '-in', join(dir, 'issuer-text.pem'))).toBe(keyPub);
  });
});

describe('mintDaprBundle options', () => {
  const now = new Date('2026-03-01T12:00:00Z');

  it('names a custom trust domain and control plane namespace', () => {
    const b = mintDaprBundle({ trustDomain: 'prod.example', namespace: 'dapr-prod', validForMs: DAY, now });
    expect(new X509Certificate(b.rootCertPem).subject).toBe('O=prod.example');
    const issuer = new X509Certificate(b.issuerCertPem);
    expect([issuer.subject, issuer.issuer]).toEqual(['O=spiffe://prod.example/ns/dapr-prod/dapr-sentry', 'O=prod.example']);
  });

  it('writes a trust domain with "_" as a UTF8String, as Go does', () => {
    const b = mintDaprBundle({ trustDomain: 'my_td', namespace: 'dapr-system', validForMs: DAY, now });
    expect(new X509Certificate(b.rootCertPem).subject).toBe('O=my_td');
    expect(parts(b.rootCertPem).subjectNameTag).toBe(TAG.UTF8_STRING);
    expect(parts(b.issuerCertPem).subjectNameTag).toBe(TAG.UTF8_STRING);
  });

  it('takes another clock skew, and defaults to a current clock', () => {
    const noSkew = new X509Certificate(mintDaprBundle({ namespace: 'dapr-system', validForMs: DAY, now, clockSkewMs: 0 }).rootCertPem);
    expect(new Date(noSkew.validFrom)).toEqual(now);
    const before = Date.now();
    const b = mintDaprBundle({ namespace: 'dapr-system', validForMs: DAY });
    expect(b.rootExpires.getTime()).toBeGreaterThanOrEqual(Math.floor((before + DAY) / 1000) * 1000);
    expect(b.rootExpires.getTime()).toBeLessThanOrEqual(Date.now() + DAY);
  });

  it('switches to GeneralizedTime for validity from 2050 on, and still verifies', () => {
    const b = mintDaprBundle({ namespace: 'dapr-system', validForMs: Date.parse('2051-06-01T00:00:00Z') - now.getTime(), now });
    const root = new X509Certificate(b.rootCertPem);
    expect(parts(b.rootCertPem).validityTags).toEqual([TAG.UTC_TIME, TAG.GENERALIZED_TIME]);
    expect(new Date(root.validTo).toISOString()).toBe('2051-06-01T00:00:00.000Z');
    expect(new X509Certificate(b.issuerCertPem).verify(root.publicKey)).toBe(true);
  });

  it('mints a new anchor whose bundle with the old anchor earliestExpiry reads (trust anchor rotation)', () => {
    const old = mintDaprBundle({ namespace: 'dapr-system', validForMs: 20 * DAY, now: new Date('2026-01-01T00:00:00Z') });
    const next = mintDaprBundle({ namespace: 'dapr-system', validForMs: 365 * DAY, now });
    const anchors = `${old.rootCertPem}${next.rootCertPem}`;
    expect(earliestExpiry(anchors)).toEqual({ expires: old.rootExpires, subject: 'O=cluster.local' });
    expect(earliestExpiry(`${next.rootCertPem}\n${old.rootCertPem}`)?.expires).toEqual(new Date('2026-01-21T00:00:00Z'));
    const dir = mkdtempSync(join(tmpdir(), 'dapr-mint-'));
    try {
      const ca = join(dir, 'ca.crt');
      const iss = join(dir, 'issuer.crt');
      writeFileSync(ca, anchors, { mode: 0o600 });
      writeFileSync(iss, next.issuerCertPem, { mode: 0o600 });
      const out = execFileSync('/usr/bin/openssl', ['verify', '-attime', String(now.getTime() / 1000), '-CAfile', ca, iss], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      expect(out.trim()).toBe(`${iss}: OK`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    ['an upper-case trust domain', { trustDomain: 'Cluster.local' }, /invalid trust domain/],
    ['an empty trust domain', { trustDomain: '' }, /invalid trust domain/],
    ['a trust domain given as a SPIFFE ID', { trustDomain: 'spiffe://cluster.local' }, /invalid trust domain/],
    ['an empty namespace', { namespace: '' }, /invalid namespace/],
    ['a dot-dot namespace', { namespace: '..' }, /invalid namespace/],
    ['a namespace with a slash', { namespace: 'a/b' }, /invalid namespace/],
    ['a zero lifetime', { validForMs: 0 }, /validForMs must be a positive/],
    ['a negative lifetime', { validForMs: -DAY }, /validForMs must be a positive/],
    ['an endless lifetime', { validForMs: Infinity }, /validForMs must be a positive/],
    ['NaN as lifetime', { validForMs: NaN }, /validForMs must be a positive/],
    ['a lifetime past year 9999', { validForMs: 8000 * 365 * DAY }, /year \d+ cannot be encoded/],
    ['a negative clock skew', { clockSkewMs: -1 }, /clockSkewMs must be zero or more/],
    ['an invalid clock', { now: new Date('nope') }, /now is not a valid date/],
    ['an unknown key type', { keyType: 'rsa' as DaprCaKeyType }, /unsupported key type rsa/],
  ])('refuses %s', (_what, o, err) => {
    expect(() => mintDaprBundle({ namespace: 'dapr-system', validForMs: DAY, now, ...o })).toThrow(err);
  });
});
