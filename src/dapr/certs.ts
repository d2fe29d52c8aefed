import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { X509Certificate } from 'node:crypto';

export interface CertExpiry {
  /** The earliest notAfter of the certificates in a PEM bundle. */
  expires: Date;
  subject: string;
}

/** The certificate of a PEM bundle that expires first (a trust bundle may hold old and new anchors). */
export function earliestExpiry(pem: string): CertExpiry | undefined {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  let first: CertExpiry | undefined;
  for (const b of blocks) {
    const cert = new X509Certificate(b);
    const expires = new Date(cert.validTo);
    if (!first || expires < first.expires) first = { expires, subject: cert.subject.replace(/\n/g, ', ') };
  }
  return first;
}

export interface TrustBundle {
  trustAnchor?: CertExpiry;
  issuer?: CertExpiry;
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
  return {
    trustAnchor: cm?.data?.['ca.crt'] ? earliestExpiry(cm.data['ca.crt']) : undefined,
    issuer: issuerB64 ? earliestExpiry(Buffer.from(issuerB64, 'base64').toString('utf8')) : undefined,
  };
}

/** Days from `now` until `date` (negative when past). */
export function daysLeft(date: Date, now: Date): number {
  return Math.floor((date.getTime() - now.getTime()) / 86_400_000);
}
