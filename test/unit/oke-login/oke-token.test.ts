import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { base64UrlPadded, decodeOkeToken, execCredential, generateOkeToken, TOKEN_LIFETIME_MS, tokenHost } from '../../../src/oci/oke-token.js';
import { verifyOkeToken } from '../../support/oci-signature.js';
import { CLUSTER, fixture, KEY_FINGERPRINT, OPENSSL_SIGNATURE, SIGNED_DATE, TENANCY, USER } from './fixtures.js';

const privateKey = createPrivateKey(fixture('api-key-pkcs8.pem'));
const publicKey = createPublicKey(fixture('api-key-public.pem'));
const KEY_ID = `${TENANCY}/${USER}/${KEY_FINGERPRINT}`;
const signer = { clusterId: CLUSTER, region: 'us-ashburn-1', keyId: KEY_ID, privateKey };
const resolve = (id: string) => (id === KEY_ID ? { publicKey, principal: USER } : { error: `unknown keyId ${id}` });

describe('OKE token', () => {
  it('signs the cluster_request URL on the host without ".oci."', () => {
    expect(tokenHost('eu-frankfurt-1')).toBe('containerengine.eu-frankfurt-1.oraclecloud.com');
  });

  it('is URL-safe base64 with padding of the signed URL (fixed vector: openssl signature)', () => {
    const now = new Date(SIGNED_DATE);
    const t = generateOkeToken(signer, now);
    const url = Buffer.from(t.token, 'base64url').toString('utf8');
    expect(url).toBe(
      `https://containerengine.us-ashburn-1.oraclecloud.com/cluster_request/${CLUSTER}?authorization=Signature+version%3D%221%22%2Cheaders%3D%22date+%28request-target%29+host%22%2CkeyId%3D%22${encodeURIComponent(KEY_ID)}%22%2Calgorithm%3D%22rsa-sha256%22%2Csignature%3D%22` +
        `${encodeURIComponent(OPENSSL_SIGNATURE)}%22` +
        '&date=Sun%2C+05+Jan+2014+21%3A31%3A40+GMT',
    );
    expect(t.token).toMatch(/^[A-Za-z0-9_-]+=*$/);
    expect(t.token.length % 4).toBe(0);
    expect(t.expiresAt.getTime() - now.getTime()).toBe(TOKEN_LIFETIME_MS);
  });

  it.each(['a', 'ab', 'abc', 'abcd', '??>>'])('pads like Python urlsafe_b64encode: %s', (text) => {
    const expected = Buffer.from(text).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
    expect(base64UrlPadded(text)).toBe(expected);
    expect(base64UrlPadded(text)).not.toMatch(/[+/]/);
  });

  it('round-trips: decodes back to region, cluster, date and an Authorization the OKE side accepts', () => {
    const now = new Date();
    const t = generateOkeToken(signer, now);
    const d = decodeOkeToken(t.token);
    expect(d).toMatchObject({ region: 'us-ashburn-1', clusterId: CLUSTER, date: now.toUTCString() });
    expect(d.authorization).toContain(`keyId="${KEY_ID}"`);
    expect(verifyOkeToken(t.token, { clusterId: CLUSTER, region: 'us-ashburn-1' }, now.getTime(), resolve)).toEqual({ ok: true, keyId: KEY_ID, principal: USER });
  });

  it.each([
    ['another cluster', { clusterId: 'ocid1.cluster.oc1.iad.other', region: 'us-ashburn-1' }, 0, 'not this cluster'],
    ['another region', { clusterId: CLUSTER, region: 'eu-frankfurt-1' }, 0, 'not containerengine.eu-frankfurt-1'],
    ['6 minutes later', { clusterId: CLUSTER, region: 'us-ashburn-1' }, 6 * 60_000, 'token expired'],
  ])('is refused for %s', (_, expected, laterMs, why) => {
    const now = Date.now();
    const t = generateOkeToken(signer, new Date(now));
    const r = verifyOkeToken(t.token, expected, now + laterMs, resolve);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.why).toContain(why);
  });

  it('is refused when signed by another key, under its own keyId or under the registered one', () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const expected = { clusterId: CLUSTER, region: 'us-ashburn-1' };
    const own = generateOkeToken({ ...signer, keyId: `${TENANCY}/${USER}/00:00`, privateKey: other });
    expect(verifyOkeToken(own.token, expected, Date.now(), resolve)).toEqual({ ok: false, why: `unknown keyId ${TENANCY}/${USER}/00:00` });
    const forged = generateOkeToken({ ...signer, privateKey: other });
    expect(verifyOkeToken(forged.token, expected, Date.now(), resolve)).toEqual({ ok: false, why: 'signature does not verify with the registered public key' });
  });

  it.each(['bm90IGEgdXJs', Buffer.from('https://example.com/x?authorization=a&date=b').toString('base64url')])('decodeOkeToken refuses %s', (token) => {
    expect(() => decodeOkeToken(token)).toThrow(/^not an OKE token/);
  });

  it('prints the ExecCredential kubectl reads', () => {
    const cred = JSON.parse(execCredential({ token: 'tok', expiresAt: new Date('2026-01-02T03:04:05.678Z') }));
    expect(cred).toEqual({ apiVersion: 'client.authentication.k8s.io/v1beta1', kind: 'ExecCredential', status: { token: 'tok', expirationTimestamp: '2026-01-02T03:04:05Z' } });
    expect(JSON.parse(execCredential({ token: 't', expiresAt: new Date(0) }, 'client.authentication.k8s.io/v1')).apiVersion).toBe('client.authentication.k8s.io/v1');
  });
});
