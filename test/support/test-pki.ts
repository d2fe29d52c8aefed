import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

export interface TestPki {
  dir: string;
  /** PEM file of the CA (for NODE_EXTRA_CA_CERTS). */
  caFile: string;
  caPem: string;
  certPem: string;
  keyPem: string;
  remove(): void;
}

/** A throwaway CA and a 127.0.0.1/localhost server certificate, made with the openssl CLI. */
export async function makeTestPki(name = 'oci-standin'): Promise<TestPki> {
  const dir = mkdtempSync(join(tmpdir(), `${name}-pki-`));
  const ssl = (args: string[]) => execFileP('openssl', args, { cwd: dir });
  await ssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key']);
  await ssl(['req', '-x509', '-new', '-key', 'ca.key', '-subj', `/CN=${name} test CA`, '-days', '2', '-sha256', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-out', 'ca.crt']);
  await ssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'server.key']);
  await ssl(['req', '-new', '-key', 'server.key', '-subj', `/CN=${name}`, '-out', 'server.csr']);
  writeFileSync(join(dir, 'server.ext'), 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n');
  await ssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-sha256', '-extfile', 'server.ext', '-out', 'server.crt']);
  const read = (f: string) => readFileSync(join(dir, f), 'utf8');
  return { dir, caFile: join(dir, 'ca.crt'), caPem: read('ca.crt'), certPem: read('server.crt'), keyPem: read('server.key'), remove: () => rmSync(dir, { recursive: true, force: true }) };
}
