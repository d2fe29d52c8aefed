import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { X509Certificate } from 'node:crypto';

export interface CertExpiry {
  /** The earliest notAfter of the certificates in a PEM bundle. */
  expires: Date;
  subject: string;
}

/** The PEM certificate blocks of a bundle, in order. */
export function pemCertificates(pem: string): string[] {
  return pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

function expiryOf(cert: X509Certificate): CertExpiry {
  return { expires: new Date(cert.validTo), subject: cert.subject.replace(/\n/g, ', ') };
}

/** The certificate of a PEM bundle that expires first (a trust bundle may hold old and new anchors). */
export function earliestExpiry(pem: string): CertExpiry | undefined {
  let first: CertExpiry | undefined;
  for (const b of pemCertificates(pem)) {
    const e = expiryOf(new X509Certificate(b));
    if (!first || e.expires < first.expires) first = e;
  }
  return first;
}

/**
 * The anchor that matters: the one the issuer chains to. After a rotation the bundle also keeps the old anchor
 * until the certificates it signed have lapsed; that one is not what sidecars will need next. Without an
 * issuer (or when none verifies it) the anchor that expires first.
 */
export function issuingAnchor(anchorsPem: string, issuerPem: string | undefined): CertExpiry | undefined {
  const issuerBlock = issuerPem ? pemCertificates(issuerPem)[0] : undefined;
  if (issuerBlock) {
    const issuer = new X509Certificate(issuerBlock);
    for (const b of pemCertificates(anchorsPem)) {
      const anchor = new X509Certificate(b);
      if (issuer.checkIssued(anchor) && issuer.verify(anchor.publicKey)) return expiryOf(anchor);
    }
  }
  return earliestExpiry(anchorsPem);
}

export interface TrustBundle {
  trustAnchor?: CertExpiry;
  issuer?: CertExpiry;
  /** How many anchors the bundle holds (two between a rotation and the old anchor's end). */
  anchors?: number;
}

/**
 * The expiry of Dapr's mTLS certificates as sentry keeps them in the control plane's namespace: the trust
 * anchors (ConfigMap dapr-trust-bundle, ca.crt) and the issuer (Secret dapr-trust-bundle, issuer.crt). Only
 * the public certificates are read; the issuer's key in the same Secret is never used or kept.
 */
export async function readTrustBundle(kc: KubeConfig, namespace: string): Promise<TrustBundle> {
  const core = kc.makeApiClient(CoreV1Api);
  const [cm, secret] = await Promise.all([
    core.readNamespacedConfigMap({ name: 'dapr-trust-bundle', namespace }).catch(() => undefined),
    core.readNamespacedSecret({ name: 'dapr-trust-bundle', namespace }).catch(() => undefined),
  ]);
  const issuerB64 = secret?.data?.['issuer.crt'];
  const issuerPem = issuerB64 ? Buffer.from(issuerB64, 'base64').toString('utf8') : undefined;
  const anchors = cm?.data?.['ca.crt'];
  return {
    trustAnchor: anchors ? issuingAnchor(anchors, issuerPem) : undefined,
    issuer: issuerPem ? earliestExpiry(issuerPem) : undefined,
    anchors: anchors ? pemCertificates(anchors).length : undefined,
  };
}

/** Days from `now` until `date` (negative when past). */
export function daysLeft(date: Date, now: Date): number {
  return Math.floor((date.getTime() - now.getTime()) / 86_400_000);
}
