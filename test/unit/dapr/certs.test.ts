import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { daysLeft, earliestExpiry } from '../../../src/dapr/certs.js';

const dir = mkdtempSync(join(tmpdir(), 'dapr-certs-'));
function cert(name: string, days: number): string {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, `${name}.key`), '-out', join(dir, `${name}.crt`), '-days', String(days), '-subj', `/CN=${name}`], { stdio: 'ignore' });
  return readFileSync(join(dir, `${name}.crt`), 'utf8');
}

describe('Dapr mTLS certificate expiry', () => {
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
