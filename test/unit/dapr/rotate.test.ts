import { X509Certificate } from 'node:crypto';
import { mintDaprBundle } from '../../../src/dapr/mint.js';
import { nextTrustAnchors, rotationDue } from '../../../src/dapr/rotate.js';

const now = new Date('2026-11-30T12:00:00Z');
const inDays = (d: number): Date => new Date(now.getTime() + d * 86_400_000);
const cert = (d: number) => ({ expires: inDays(d), subject: 'O=cluster.local' });

describe('rotationDue', () => {
  it.each<[string, Parameters<typeof rotationDue>[0], Parameters<typeof rotationDue>[1], boolean, RegExp]>([
    ['never', 'never', { trustAnchor: cert(1), issuer: cert(1) }, false, /rotate-certificates is false/],
    ['always, even with years left', 'always', { trustAnchor: cert(900), issuer: cert(900) }, true, /rotate-certificates is true/],
    ['expiring: the issuer within the warning days', 'expiring', { trustAnchor: cert(300), issuer: cert(10) }, true, /the issuer expires .* within cert-warn-days \(30\)/],
    ['expiring: the anchor within the warning days', 'expiring', { trustAnchor: cert(29), issuer: cert(300) }, true, /the trust anchor expires/],
    ['expiring: both far off', 'expiring', { trustAnchor: cert(300), issuer: cert(31) }, false, /neither certificate expires within cert-warn-days \(30\)/],
    ['no bundle (mTLS off)', 'always', {}, false, /no trust bundle/],
  ])('%s', (_name, mode, certs, rotate, reason) => {
    const due = rotationDue(mode, certs, 30, now);
    expect(due.rotate).toBe(rotate);
    expect(due.reason).toMatch(reason);
  });
});

describe('nextTrustAnchors', () => {
  const at = (ms: number) => mintDaprBundle({ namespace: 'dapr-system', validForMs: ms, now });
  it('puts the new anchor first and keeps the old ones still valid, dropping lapsed ones', () => {
    const fresh = at(365 * 86_400_000);
    const live = at(3_600_000);
    const lapsed = mintDaprBundle({ namespace: 'dapr-system', validForMs: 60_000, now: new Date(now.getTime() - 3_600_000) });
    const out = nextTrustAnchors(fresh.rootCertPem, `${live.rootCertPem}${lapsed.rootCertPem}`, now);
    const blocks = out.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
    expect(blocks).toHaveLength(2);
    expect(new X509Certificate(blocks[0]!).fingerprint256).toBe(new X509Certificate(fresh.rootCertPem).fingerprint256);
    expect(new X509Certificate(blocks[1]!).fingerprint256).toBe(new X509Certificate(live.rootCertPem).fingerprint256);
    expect(out.endsWith('-----END CERTIFICATE-----\n')).toBe(true);
  });

  it('an empty old bundle gives the new anchor alone', () => {
    const fresh = at(86_400_000);
    expect(nextTrustAnchors(fresh.rootCertPem, '', now)).toBe(`${fresh.rootCertPem.trim()}\n`);
  });
});
