import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { bitString, boolean, contextTag, directoryString, integer, namedBits, octetString, oid, readChildren, readTlv, sequence, set, TAG, time } from './der.js';

/**
 * Mints a Dapr mTLS trust anchor (root CA) and issuer certificate the way Dapr's sentry does when it finds
 * no bundle (github.com/dapr/dapr@v1.18.2 pkg/sentry/server/ca: ca.go New, bundle/bundle.go GenerateX509,
 * bundle/cert.go generateRootCert and generateIssuerCert), so that sentry accepts the result when it loads
 * the dapr-trust-bundle Secret (validate.go verifyX509Bundle). Node's crypto signs but cannot build X.509
 * certificates, so the certificates are DER-encoded here (./der.ts) field by field as Go's
 * x509.CreateCertificate lays them out for Dapr's templates.
 */

/** Dapr sentry's default trust domain (pkg/sentry/config/config.go: defaultTrustDomain). */
export const DAPR_DEFAULT_TRUST_DOMAIN = 'cluster.local';
/** Dapr sentry's default allowed clock skew, by which NotBefore is backdated (config.go: defaultAllowedClockSkew). */
export const DAPR_DEFAULT_CLOCK_SKEW_MS = 15 * 60_000;

/**
 * The key type of both CA keys. Dapr 1.18 uses Ed25519 for the root and the issuer (ca.go:125, bundle.go:94);
 * Dapr 1.17 and earlier used ECDSA P-256. Sentry 1.18 loads either (kit crypto/pem reads PKCS#8 of both).
 */
export type DaprCaKeyType = 'ed25519' | 'ecdsa-p256';

export interface MintOptions {
  /** The mTLS trust domain (the daprsystem Configuration's spec.mtls.controlPlaneTrustDomain); default cluster.local. */
  trustDomain?: string;
  /** The control plane's namespace: the issuer names sentry's SPIFFE ID spiffe://<td>/ns/<namespace>/dapr-sentry. */
  namespace: string;
  /** Lifetime of both certificates from `now` (sentry's default is a year). */
  validForMs: number;
  /** NotBefore is backdated by this much; default 15 minutes, sentry's default allowedClockSkew. */
  clockSkewMs?: number;
  /** Default 'ed25519', what Dapr 1.18's sentry generates. */
  keyType?: DaprCaKeyType;
  now?: Date;
}

export interface MintedBundle {
  /** The new trust anchor (ca.crt). The root's private key is discarded, as sentry does. */
  rootCertPem: string;
  /** issuer.crt: the issuer certificate alone, signed by the root (no chain, as sentry writes it). */
  issuerCertPem: string;
  /** issuer.key: PKCS#8, PEM type "PRIVATE KEY" (Dapr's format). A secret: mask it, never log it. */
  issuerKeyPem: string;
  /** notAfter of each certificate as encoded (whole seconds). */
  rootExpires: Date;
  issuerExpires: Date;
}

// Object identifiers (RFC 5280 4.2.1, RFC 8410, RFC 5758).
const OID_ORGANIZATION = '2.5.4.10';
const OID_SUBJECT_KEY_ID = '2.5.29.14';
const OID_KEY_USAGE = '2.5.29.15';
const OID_BASIC_CONSTRAINTS = '2.5.29.19';
const OID_ED25519 = '1.3.101.112';
const OID_ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';

// KeyUsage bit numbers (RFC 5280 4.2.1.3).
const DIGITAL_SIGNATURE = 0;
const KEY_CERT_SIGN = 5;
const CRL_SIGN = 6;

// spiffeid.TrustDomainFromString and spiffeid.ValidatePathSegment (github.com/spiffe/go-spiffe/v2 v2.6.0).
const TRUST_DOMAIN = /^[a-z0-9._-]+$/;
const PATH_SEGMENT = /^[A-Za-z0-9._-]+$/;

export function mintDaprBundle(o: MintOptions): MintedBundle {
  const trustDomain = o.trustDomain ?? DAPR_DEFAULT_TRUST_DOMAIN;
  const skew = o.clockSkewMs ?? DAPR_DEFAULT_CLOCK_SKEW_MS;
  const keyType = o.keyType ?? 'ed25519';
  const now = o.now ?? new Date();
  if (!TRUST_DOMAIN.test(trustDomain)) throw new Error(`invalid trust domain "${trustDomain}": only a-z, 0-9, '.', '-' and '_' are allowed`);
  if (!PATH_SEGMENT.test(o.namespace) || o.namespace === '.' || o.namespace === '..') throw new Error(`invalid namespace "${o.namespace}" for a SPIFFE ID`);
  if (!Number.isFinite(o.validForMs) || o.validForMs <= 0) throw new Error(`validForMs must be a positive number of milliseconds, got ${o.validForMs}`);
  if (!Number.isFinite(skew) || skew < 0) throw new Error(`clockSkewMs must be zero or more milliseconds, got ${skew}`);
  if (Number.isNaN(now.getTime())) throw new Error('now is not a valid date');
  if (keyType !== 'ed25519' && keyType !== 'ecdsa-p256') throw new Error(`unsupported key type ${String(keyType)}`);

  // bundle/cert.go generateBaseCert: NotBefore = now - skew (clock skew allowance), NotAfter = now + ttl.
  const notBefore = new Date(now.getTime() - skew);
  const notAfter = new Date(now.getTime() + o.validForMs);
  const expires = new Date(Math.floor(notAfter.getTime() / 1000) * 1000);

  // cert.go generateRootCert: Subject O=<trust domain>; DigitalSignature|CertSign; CA.
  const root = newKeyPair(keyType);
  const rootName = name(trustDomain);
  const rootDer = certificate({ subject: rootName, issuer: rootName, notBefore, notAfter, spki: spkiOf(root.publicKey), keyUsage: [DIGITAL_SIGNATURE, KEY_CERT_SIGN], signer: root.privateKey, keyType });

  // cert.go generateIssuerCert: Subject O=spiffe://<td>/ns/<namespace>/dapr-sentry; also CRLSign; CA.
  // bundle.go:108 signs it with the root *template* as parent, which has no SubjectKeyId, so Go writes no
  // AuthorityKeyIdentifier into the issuer certificate; neither do we.
  const issuer = newKeyPair(keyType);
  const sentryId = `spiffe://${trustDomain}/ns/${o.namespace}/dapr-sentry`;
  const issuerDer = certificate({ subject: name(sentryId), issuer: rootName, notBefore, notAfter, spki: spkiOf(issuer.publicKey), keyUsage: [DIGITAL_SIGNATURE, KEY_CERT_SIGN, CRL_SIGN], signer: root.privateKey, keyType });

  return {
    rootCertPem: pem('CERTIFICATE', rootDer),
    issuerCertPem: pem('CERTIFICATE', issuerDer),
    // bundle.go:98-102: x509.MarshalPKCS8PrivateKey in a "PRIVATE KEY" block.
    issuerKeyPem: issuer.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    rootExpires: expires,
    issuerExpires: expires,
  };
}

interface CertFields {
  subject: Buffer;
  issuer: Buffer;
  notBefore: Date;
  notAfter: Date;
  spki: Buffer;
  keyUsage: number[];
  signer: KeyObject;
  keyType: DaprCaKeyType;
}

/** A v3 certificate laid out as Go's x509.CreateCertificate writes one for Dapr's CA templates. */
function certificate(c: CertFields): Buffer {
  const algorithm = sequence(oid(c.keyType === 'ed25519' ? OID_ED25519 : OID_ECDSA_WITH_SHA256));
  const tbs = sequence(
    contextTag(0, integer(2)), // version v3
    integer(serialNumber()),
    algorithm,
    c.issuer,
    sequence(time(c.notBefore), time(c.notAfter)),
    c.subject,
    c.spki,
    // Go's buildCertExtensions order: KeyUsage, BasicConstraints, SubjectKeyId.
    contextTag(3, sequence(
      extension(OID_KEY_USAGE, true, namedBits(c.keyUsage)),
      // IsCA with MaxPathLen unset (-1): the pathLenConstraint is omitted.
      extension(OID_BASIC_CONSTRAINTS, true, sequence(boolean(true))),
      // Go (1.25+, the default for Dapr's go 1.26 module) fills a CA's empty SubjectKeyId with the leftmost
      // 160 bits of SHA-256 of the subjectPublicKey bits (RFC 7093 2, method 1).
      extension(OID_SUBJECT_KEY_ID, false, octetString(createHash('sha256').update(subjectPublicKey(c.spki)).digest().subarray(0, 20))),
    )),
  );
  // Ed25519 signs the message itself; ECDSA P-256 hashes with SHA-256 and gives a DER Ecdsa-Sig-Value.
  const signature = sign(c.keyType === 'ed25519' ? null : 'sha256', tbs, c.signer);
  return sequence(tbs, algorithm, bitString(signature));
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  // DER omits a BOOLEAN that equals its DEFAULT (critical FALSE).
  return critical ? sequence(oid(id), boolean(true), octetString(value)) : sequence(oid(id), octetString(value));
}

/** pkix.Name{Organization: [org]}: one RDN with organizationName. */
function name(org: string): Buffer {
  return sequence(set(sequence(oid(OID_ORGANIZATION), directoryString(org))));
}

/** bundle/cert.go serialNumber: uniformly random in [0, 2^128). */
function serialNumber(): Buffer {
  return randomBytes(16);
}

function newKeyPair(keyType: DaprCaKeyType): { publicKey: KeyObject; privateKey: KeyObject } {
  return keyType === 'ed25519' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
}

function spkiOf(publicKey: KeyObject): Buffer {
  return publicKey.export({ type: 'spki', format: 'der' });
}

/** The key bits of a SubjectPublicKeyInfo (its BIT STRING without the unused-bits byte). */
function subjectPublicKey(spki: Buffer): Buffer {
  const key = readChildren(readTlv(spki).content)[1];
  if (key?.tag !== TAG.BIT_STRING || key.content[0] !== 0) throw new Error('unexpected SubjectPublicKeyInfo');
  return key.content.subarray(1);
}

/** PEM as Go's pem.EncodeToMemory writes it: base64 in lines of 64, trailing newline. */
function pem(type: string, der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${type}-----\n${lines.join('\n')}\n-----END ${type}-----\n`;
}
