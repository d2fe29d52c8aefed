import { createHash, createPrivateKey, createPublicKey, verify } from 'node:crypto';
import { authorizationHeader, BODY_SIGNED_HEADERS, GET_SIGNED_HEADERS, requestTarget, signingString, signRequest } from '../../../src/oci/signing.js';
import { parseSignatureHeader, verifySignedRequest } from '../../support/oci-signature.js';
import { CLUSTER, fixture, KEY_FINGERPRINT, OPENSSL_SIGNATURE, SIGNED_DATE as DATE, TENANCY, USER } from './fixtures.js';

const privateKey = createPrivateKey(fixture('api-key-pkcs1.pem'));
const publicKey = createPublicKey(fixture('api-key-public.pem'));
const KEY_ID = `${TENANCY}/${USER}/${KEY_FINGERPRINT}`;

describe('signing string', () => {
  it.each([
    ['GET', 'https://h.example/a/b', 'get /a/b'],
    ['GET', 'https://h.example/a/b?x=1&y=%20', 'get /a/b?x=1&y=%20'],
    ['POST', 'https://h.example:8443/20180222/clusters/x/kubeconfig/content', 'post /20180222/clusters/x/kubeconfig/content'],
  ])('(request-target) of %s %s', (method, url, target) => expect(requestTarget(method, new URL(url))).toBe(target));

  it('lists one `name: value` line per header, in the order given', () => {
    const url = new URL(`https://containerengine.us-ashburn-1.oraclecloud.com/cluster_request/${CLUSTER}`);
    expect(signingString(GET_SIGNED_HEADERS, { date: DATE, host: url.host }, 'GET', url)).toBe(
      `date: ${DATE}\n(request-target): get /cluster_request/${CLUSTER}\nhost: containerengine.us-ashburn-1.oraclecloud.com`,
    );
    expect(signingString(['host', 'date'], { date: DATE, host: 'h' }, 'GET', url)).toBe(`host: h\ndate: ${DATE}`);
    expect(() => signingString(['x-missing'], {}, 'GET', url)).toThrow('bug: signed header "x-missing" has no value');
  });

  it('matches the fixed vector signed by openssl, and verifies with node:crypto', () => {
    const url = new URL(`https://containerengine.us-ashburn-1.oraclecloud.com/cluster_request/${CLUSTER}`);
    const signed = signRequest({ method: 'GET', url, keyId: KEY_ID, privateKey, now: new Date(DATE) });
    expect(signed.headers).toEqual({ date: DATE, host: 'containerengine.us-ashburn-1.oraclecloud.com' });
    expect(DATE).toBe(new Date(DATE).toUTCString());
    expect(signed.authorization).toBe(authorizationHeader(KEY_ID, GET_SIGNED_HEADERS, OPENSSL_SIGNATURE));
    expect(verify('sha256', Buffer.from(signed.signingString), publicKey, Buffer.from(OPENSSL_SIGNATURE, 'base64'))).toBe(true);
    expect(verify('sha256', Buffer.from(`${signed.signingString}x`), publicKey, Buffer.from(OPENSSL_SIGNATURE, 'base64'))).toBe(false);
  });

  it('writes the Authorization header OCI expects, parsable as a map', () => {
    const header = authorizationHeader(KEY_ID, GET_SIGNED_HEADERS, 'c2ln');
    expect(header).toBe(`Signature version="1",headers="date (request-target) host",keyId="${KEY_ID}",algorithm="rsa-sha256",signature="c2ln"`);
    expect(parseSignatureHeader(header)).toEqual({ version: '1', headers: 'date (request-target) host', keyId: KEY_ID, algorithm: 'rsa-sha256', signature: 'c2ln' });
  });

  it('a signed POST passes the independent server-side verifier; tampering does not', () => {
    const url = new URL('https://127.0.0.1:9/20180222/clusters/c/kubeconfig/content');
    const body = Buffer.from('{"tokenVersion":"2.0.0","endpoint":"PUBLIC_ENDPOINT"}');
    const extra = { 'content-type': 'application/json', 'content-length': String(body.length), 'x-content-sha256': createHash('sha256').update(body).digest('base64') };
    const now = new Date();
    const signed = signRequest({ method: 'POST', url, keyId: KEY_ID, privateKey, headers: extra, names: [...GET_SIGNED_HEADERS, ...BODY_SIGNED_HEADERS], now });
    const resolve = (id: string) => (id === KEY_ID ? { publicKey, principal: USER } : { error: 'unknown keyId' });
    const request = { method: 'POST', target: url.pathname, headers: { ...signed.headers, authorization: signed.authorization }, body, now: now.getTime() };
    expect(verifySignedRequest(request, resolve)).toEqual({ ok: true, keyId: KEY_ID, principal: USER });
    expect(verifySignedRequest({ ...request, body: Buffer.from('{}') }, resolve)).toEqual({ ok: false, why: 'x-content-sha256 does not match the body' });
    expect(verifySignedRequest({ ...request, now: now.getTime() + 6 * 60_000 }, resolve)).toMatchObject({ ok: false, why: expect.stringContaining('off the server clock') });
    expect(verifySignedRequest({ ...request, headers: { ...request.headers, authorization: signed.authorization.replace(KEY_FINGERPRINT, '00:11') } }, resolve)).toEqual({ ok: false, why: 'unknown keyId' });
  });
});
