import { createPrivateKey } from 'node:crypto';
import { exchangeForUpst, jwtClaims } from '../../../src/oci/upst.js';
import { RecordingLogger } from '../../support/recording-logger.js';
import { fixture } from './fixtures.js';

const sessionKey = createPrivateKey(fixture('api-key-pkcs8.pem'));
const NOW = Date.parse('2026-03-01T12:00:00Z');
const jwt = (claims: object) => `e30.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`;

function run(reply: (req: { url: string; init: RequestInit }) => Response) {
  const calls: Array<{ url: string; init: RequestInit }> = [];
  const fetch = async (url: string, init?: RequestInit) => {
    calls.push({ url, init: init! });
    return reply({ url, init: init! });
  };
  const exchange = () => exchangeForUpst({ domainUrl: 'https://idcs-abc.example/', clientId: 'app', clientSecret: 's3cret', subjectToken: 'gh.jwt.token', sessionKey, log: new RecordingLogger(), fetch, now: () => NOW });
  return { calls, exchange };
}

describe('UPST token exchange', () => {
  it('posts the token-exchange form with Basic client credentials and the session public key', async () => {
    const upst = jwt({ sub: 'ocid1.user.oc1..gh', exp: 1_900_000_000 });
    const { calls, exchange } = run(() => Response.json({ token: upst }));
    const result = await exchange();
    expect(result).toEqual({ token: upst, issuedAt: new Date(NOW), expiresAt: new Date(1_900_000_000_000), subject: 'ocid1.user.oc1..gh' });
    expect(calls[0]!.url).toBe('https://idcs-abc.example/oauth2/v1/token');
    const headers = calls[0]!.init.headers as Record<string, string>;
    expect(headers.authorization).toBe(`Basic ${Buffer.from('app:s3cret').toString('base64')}`);
    expect(headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
    const form = Object.fromEntries(new URLSearchParams(String(calls[0]!.init.body)));
    expect(form).toMatchObject({
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      requested_token_type: 'urn:oci:token-type:oci-upst',
      subject_token: 'gh.jwt.token',
      subject_token_type: 'jwt',
    });
    expect(form.public_key).toMatch(/^MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8A/);
  });

  it.each([
    [401, { error: 'invalid_client', error_description: 'Client authentication failed.' }, /refused: HTTP 401 invalid_client: Client authentication failed\./, /client-id\/client-secret/],
    [400, { error: 'invalid_grant', error_description: 'audience mismatch' }, /HTTP 400 invalid_grant: audience mismatch/, /identity propagation trust/],
    [400, { error: 'unauthorized_client' }, /HTTP 400 unauthorized_client/, /token exchange grant/],
    [404, 'Not Found', /HTTP 404: Not Found/, /not an identity domain/],
  ])('HTTP %s is explained', async (status, body, message, hint) => {
    const { exchange } = run(() => (typeof body === 'string' ? new Response(body, { status }) : Response.json(body, { status })));
    await expect(exchange()).rejects.toMatchObject({ message: expect.stringMatching(message), hint: expect.stringMatching(hint) });
  });

  it.each([
    ['exp - iat after the request, on this runner\'s clock (a server clock 7 minutes ahead does not shorten it)', { iat: NOW / 1000 + 420, exp: NOW / 1000 + 420 + 3600 }, NOW + 3_600_000],
    ['the exp claim as it is, without iat', { exp: NOW / 1000 + 1800 }, NOW + 1_800_000],
    ['an hour, without exp', {}, NOW + 3_600_000],
  ])('expiresAt: %s', async (_, claims, expected) => {
    const { exchange } = run(() => Response.json({ token: jwt({ sub: 'u', ...claims }) }));
    const result = await exchange();
    expect([result.issuedAt.getTime(), result.expiresAt.getTime()]).toEqual([NOW, expected]);
  });

  it('an answer without a token is an error', async () => {
    const { exchange } = run(() => Response.json({ access_token: 'x' }));
    await expect(exchange()).rejects.toThrow('answered without a token');
  });

  it('reads JWT claims', () => {
    expect(jwtClaims(jwt({ a: 1 }))).toEqual({ a: 1 });
    expect(() => jwtClaims('nope')).toThrow('not a JWT');
  });
});
