import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { daysLeft, earliestExpiry, issuingAnchor } from '../../../src/dapr/certs.js';

const dir = mkdtempSync(join(tmpdir(), 'dapr-certs-'));
function cert(name: string, days: number): string {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, `${name}.key`), '-out', join(dir, `${name}.crt`), '-days', String(days), '-subj', `/CN=${name}`], { stdio: 'ignore' });
  return readFileSync(join(dir, `${name}.crt`), 'utf8');
}

/** An issuer certificate signed by the root `root` (made by cert()). */
function issuedBy(root: string, name: string, days: number): string {
  const o = (f: string): string => join(dir, f);
  execFileSync('openssl', ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', o(`${name}.key`), '-out', o(`${name}.csr`), '-subj', `/CN=${name}`], { stdio: 'ignore' });
  execFileSync('openssl', ['x509', '-req', '-in', o(`${name}.csr`), '-CA', o(`${root}.crt`), '-CAkey', o(`${root}.key`), '-CAcreateserial', '-out', o(`${name}.crt`), '-days', String(days)], { stdio: 'ignore' });
  return readFileSync(o(`${name}.crt`), 'utf8');
}

describe('Dapr mTLS certificate expiry', () => {
  it('reports the anchor the issuer chains to, not an old one kept in the bundle after a rotation', () => {
    const old = cert('old-root', 2);
    const current = cert('new-root', 365);
    const issuer = issuedBy('new-root', 'issuer', 300);
    expect(issuingAnchor(`${old}\n${current}`, issuer)?.subject).toBe('CN=new-root');
    // No issuer, or one that no anchor signed: the anchor that expires first.
    expect(issuingAnchor(`${current}\n${old}`, undefined)?.subject).toBe('CN=old-root');
    expect(issuingAnchor(`${current}\n${old}`, cert('stranger', 30))?.subject).toBe('CN=old-root');
  });

  it('finds the certificate of a bundle that expires first', () => {
    const bundle = `${cert('later', 400)}\n${cert('sooner', 3)}`;
    const first = earliestExpiry(bundle);
    expect(first?.subject).toBe('CN=sooner');
    expect(daysLeft(first!.expires, new Date())).toBe(2);
  });

  it('has nothing to say about a text without certificates', () => {
    expect(earliestExpiry('not a certificate')).toBeUndefined();
  });
});
