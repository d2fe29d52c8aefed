import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = join(import.meta.dirname, '..', '..', 'fixtures', 'oci');

/** Throwaway test keys (test/fixtures/oci/README.md); vectors derived with the openssl CLI. */
export const fixture = (name: string): string => readFileSync(join(dir, name), 'utf8');
export const KEY_FINGERPRINT = '6b:2a:b5:c3:de:e7:6a:ce:ba:27:3e:7c:36:3a:d9:b5';
export const PASSPHRASE = 'correct-horse';
export const TENANCY = 'ocid1.tenancy.oc1..aaaaaaaatenancy';
export const USER = 'ocid1.user.oc1..aaaaaaaauser';
export const CLUSTER = 'ocid1.cluster.oc1.iad.aaaaaaaatest';
/** A correct RFC 7231 date (the draft-cavage example's "Thu, 05 Jan 2014" has the wrong weekday). */
export const SIGNED_DATE = 'Sun, 05 Jan 2014 21:31:40 GMT';
/**
 * The signature of the OKE token signing string for CLUSTER in us-ashburn-1 at SIGNED_DATE, made by openssl:
 * printf 'date: <SIGNED_DATE>\n(request-target): get /cluster_request/<CLUSTER>\nhost: containerengine.us-ashburn-1.oraclecloud.com' |
 *   openssl dgst -sha256 -sign api-key-pkcs1.pem | base64 -w0
 */
export const OPENSSL_SIGNATURE =
  'I7j+0ph2qPs9CeNXafOoqpwDQz4cxIFh3qxpgBKPl50bBQmvTiA33U9O31uMFvm4rmMwC2WaWpjM7Gg+35pn+QYP8iHdEg3CM6f9vEvKjeK02vkypFKME8pGDikIjxT17tBjeD/1dG7yRWndH7cDiVttLXdZToWSikyrCNadkvJSYLOHgfNJUnLMpH5mdY1CP9/ukz5G561Gjtm36XZerfKkmxP/z4qZItM1Jza/ip+ifq1l2H5HZXnkVcWnABkWGVZYnF1oecSciUXJdsVbSbgM7xjuMI4IgleHRlXk8Y14inSH+BEj5Ye/2bHfW3GGKtwmtZn8atffz/QopfLSXw==';
