import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { X509Certificate } from 'node:crypto';
import { OperationError } from '../core/errors.js';
import { apiError } from '../kube/rest.js';
import type { Secrets } from '../core/secrets.js';
import { daysLeft, pemCertificates, type TrustBundle } from './certs.js';
import { mintDaprBundle } from './mint.js';

/** The name of Dapr's trust bundle: a Secret (anchors, issuer, issuer key) and a ConfigMap (anchors) in the control plane's namespace. */
export const TRUST_BUNDLE = 'dapr-trust-bundle';

export type RotateMode = 'never' | 'always' | 'expiring';

/** Whether this run renews the certificates, and why (said in the log and the summary). */
export function rotationDue(mode: RotateMode, certs: TrustBundle, warnDays: number, now: Date): { rotate: boolean; reason: string } {
  if (mode === 'never') return { rotate: false, reason: 'rotate-certificates is false' };
  if (!certs.issuer && !certs.trustAnchor) {
    return { rotate: false, reason: 'no trust bundle in the control plane\'s namespace (mTLS off, or sentry has not written it yet)' };
  }
  if (mode === 'always') return { rotate: true, reason: 'rotate-certificates is true' };
  const soonest = [['trust anchor', certs.trustAnchor], ['issuer', certs.issuer]] as const;
  for (const [what, c] of soonest) {
    if (c && daysLeft(c.expires, now) < warnDays) return { rotate: true, reason: `the ${what} expires ${c.expires.toISOString()}, within cert-warn-days (${warnDays})` };
  }
  return { rotate: false, reason: `neither certificate expires within cert-warn-days (${warnDays})` };
}

/**
 * The anchors after a rotation: the new one first, then the old ones that have not expired. Sidecars and
 * control-plane services that restart trust both, so certificates issued before the rotation keep verifying
 * while their workloads roll; a lapsed anchor is dropped.
 */
export function nextTrustAnchors(newRootPem: string, oldAnchorsPem: string, now: Date): string {
  const kept = pemCertificates(oldAnchorsPem).filter((b) => new Date(new X509Certificate(b).validTo) > now);
  return [newRootPem.trim(), ...kept].join('\n') + '\n';
}

export interface RenewedBundle {
  anchorsPem: string;
  rootExpires: Date;
  issuerExpires: Date;
  /** Old anchors kept in the bundle. */
  keptAnchors: number;
}

/**
 * Mints a new trust anchor and issuer (as `dapr mtls renew-certificate` does) and writes them where sentry
 * reads them: the Secret's ca.crt, issuer.crt and issuer.key, and the ConfigMap's ca.crt, which must equal the
 * Secret's or sentry mints a bundle of its own at start. Other keys of the Secret (sentry's JWT signing key)
 * are kept. The new issuer key is registered as a secret the moment it exists. Nothing restarts here: sentry
 * reads the bundle when it starts.
 */
export async function renewTrustBundle(kc: KubeConfig, namespace: string, o: { validForMs: number; secrets: Secrets; now?: Date }): Promise<RenewedBundle> {
  const core = kc.makeApiClient(CoreV1Api);
  const now = o.now ?? new Date();
  const [secret, cm] = await Promise.all([
    core.readNamespacedSecret({ name: TRUST_BUNDLE, namespace }),
    core.readNamespacedConfigMap({ name: TRUST_BUNDLE, namespace }),
  ]).catch((err: unknown) => {
    throw new OperationError(`reading the trust bundle (Secret and ConfigMap ${TRUST_BUNDLE} in ${namespace}): ${apiError(err)}`, {
      hint: 'the identity needs get/update on secrets and configmaps in the control plane\'s namespace, and mTLS must be on',
    });
  });
  // ECDSA P-256: what Dapr up to 1.17 mints and 1.18 accepts (1.18 mints Ed25519, which 1.17's sentry refuses),
  // so a renewed bundle serves both sides of an upgrade.
  const minted = mintDaprBundle({ namespace, validForMs: o.validForMs, now, keyType: 'ecdsa-p256' });
  o.secrets.add(minted.issuerKeyPem);
  const oldAnchors = cm.data?.['ca.crt'] ?? '';
  const anchorsPem = nextTrustAnchors(minted.rootCertPem, oldAnchors, now);
  const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
  secret.data = { ...secret.data, 'ca.crt': b64(anchorsPem), 'issuer.crt': b64(minted.issuerCertPem), 'issuer.key': b64(minted.issuerKeyPem) };
  await core.replaceNamespacedSecret({ name: TRUST_BUNDLE, namespace, body: secret });
  cm.data = { ...cm.data, 'ca.crt': anchorsPem };
  await core.replaceNamespacedConfigMap({ name: TRUST_BUNDLE, namespace, body: cm });
  return { anchorsPem, rootExpires: minted.rootExpires, issuerExpires: minted.issuerExpires, keptAnchors: pemCertificates(anchorsPem).length - 1 };
}
