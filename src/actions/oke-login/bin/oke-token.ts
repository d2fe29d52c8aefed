/**
 * The kubeconfig exec user that oke-login writes: `node <action>/dist/oke-token/index.js --config <file>`.
 * Prints an ExecCredential with an OKE token (cached until shortly before it expires); renews a keyless
 * session when it is past half its lifetime (src/oci/session-refresh.ts). Imports only node built-ins and
 * src/oci's signing and token-exchange code, so it starts in tens of milliseconds, with no OCI CLI.
 */
import { HelperError, requestedApiVersion } from '../../../oci/credential-helper.js';
import { execCredential } from '../../../oci/oke-token.js';
import { resolveCredential } from '../../../oci/session-refresh.js';

const PREFIX = 'oke-login credential helper';

async function main(argv: string[]): Promise<number> {
  const at = argv.indexOf('--config');
  const file = at >= 0 ? argv[at + 1] : undefined;
  if (!file) {
    process.stderr.write('usage: oke-token --config <credentials.json>  (written by the oke-login action; kubectl runs this)\n');
    return 2;
  }
  try {
    const { token } = await resolveCredential(file, { warn: (m) => process.stderr.write(`${PREFIX}: warning: ${m}\n`) });
    process.stdout.write(`${execCredential(token, requestedApiVersion(process.env.KUBERNETES_EXEC_INFO))}\n`);
    return 0;
  } catch (err) {
    const message = err instanceof HelperError ? err.message : `unexpected error: ${(err as Error).message}`;
    process.stderr.write(`${PREFIX}: ${message}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
