/**
 * Certificates and kubeconfigs of the local Kubernetes control plane, made once with the openssl CLI
 * under <stateDir>/kube/pki and kept across restarts (deleting the state directory makes new ones).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile, mkdtemp } from 'node:fs/promises';
import { join, dirname } from 'node:path';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

/** Client identities: file stem -> subject. Admin and kwok are cluster admins (system:masters). */
export const clientIdentities = {
  admin: { cn: 'admin', o: 'system:masters' },
  'kube-controller-manager': { cn: 'system:kube-controller-manager' },
  'kube-scheduler': { cn: 'system:kube-scheduler' },
  kwok: { cn: 'kwok-controller', o: 'system:masters' },
  /** The apiserver's identity towards aggregated API servers (--proxy-client-cert-file). */
  'front-proxy-client': { cn: 'front-proxy-client' },
  /** The apiserver's identity towards kubelets (logs, exec, port-forward): --kubelet-client-certificate. */
  'apiserver-kubelet-client': { cn: 'kube-apiserver-kubelet-client', o: 'system:masters' },
  /** The real node's kubelet (Node authorizer: system:node:<name> in system:nodes). */
  kubelet: { cn: 'system:node:oke-stack-node', o: 'system:nodes' },
  /** kube-proxy on the real node (bound to system:node-proxier by RBAC's bootstrap policy). */
  'kube-proxy': { cn: 'system:kube-proxy' },
} as const;
export type ClientName = keyof typeof clientIdentities;

export interface Pki {
  dir: string;
  caCert: string;
  caKey: string;
  apiserverCert: string;
  apiserverKey: string;
  /** Service-account token signing key (private) and its public key. */
  saKey: string;
  saPub: string;
  client(name: ClientName): { cert: string; key: string };
}

export function pkiPaths(dir: string): Pki {
  return {
    dir,
    caCert: join(dir, 'ca.crt'),
    caKey: join(dir, 'ca.key'),
    apiserverCert: join(dir, 'apiserver.crt'),
    apiserverKey: join(dir, 'apiserver.key'),
    saKey: join(dir, 'sa.key'),
    saPub: join(dir, 'sa.pub'),
    client: (name) => ({ cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) }),
  };
}

async function openssl(cwd: string, args: string[]): Promise<void> {
  try {
    await execFileP('openssl', args, { cwd });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`openssl ${args[0]} failed: ${e.stderr?.trim() || e.message}`, { cause: err });
  }
}

/**
 * Issues `<stem>.key` + `<stem>.crt` (fresh EC key, signed by the CA in `dir`) unless `<stem>.crt` exists.
 * Works on temporary names and renames the certificate last, so a present .crt always has its key.
 */
async function issue(dir: string, stem: string, subject: string, ext: string): Promise<void> {
  if (existsSync(join(dir, `${stem}.crt`))) return;
  const t = `${stem}.tmp`;
  await openssl(dir, ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${t}.key`]);
  await openssl(dir, ['req', '-new', '-key', `${t}.key`, '-subj', subject, '-out', `${t}.csr`]);
  await writeFile(join(dir, `${t}.ext`), ext);
  await openssl(dir, [
    'x509', '-req', '-in', `${t}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial',
    '-days', '3650', '-sha256', '-extfile', `${t}.ext`, '-out', `${t}.crt`,
  ]);
  await rm(join(dir, `${t}.csr`));
  await rm(join(dir, `${t}.ext`));
  await rename(join(dir, `${t}.key`), join(dir, `${stem}.key`));
  await rename(join(dir, `${t}.crt`), join(dir, `${stem}.crt`));
}

/**
 * Makes whatever is missing of: the CA, the apiserver serving cert, one client cert per identity and the
 * service-account key pair. The CA is made in a temporary sibling directory and renamed into place (a
 * half-made CA never appears); leaves are added one by one, so a new identity only adds its own files.
 */
export async function ensurePki(dir: string, serviceIp: string, extraIps: string[] = []): Promise<Pki> {
  const pki = pkiPaths(dir);
  if (!existsSync(pki.caCert)) {
    await mkdir(dirname(dir), { recursive: true });
    const tmp = await mkdtemp(`${dir}.tmp-`);
    try {
      await openssl(tmp, ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key']);
      await openssl(tmp, [
        'req', '-x509', '-new', '-key', 'ca.key', '-subj', '/CN=oke-local-stack-ca', '-days', '3650', '-sha256',
        '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature',
        '-out', 'ca.crt',
      ]);
      await rm(dir, { recursive: true, force: true });
      await rename(tmp, dir);
    } catch (err) {
      await rm(tmp, { recursive: true, force: true });
      throw err;
    }
  }
  const sans = [
    'IP:127.0.0.1', `IP:${serviceIp}`, ...extraIps.map((ip) => `IP:${ip}`), 'DNS:localhost', 'DNS:kubernetes', 'DNS:kubernetes.default',
    'DNS:kubernetes.default.svc', 'DNS:kubernetes.default.svc.cluster.local',
  ];
  // A serving certificate made before a SAN was added (an older state directory) is made again.
  const sanFile = join(dir, 'apiserver.sans');
  if (existsSync(pki.apiserverCert) && (!existsSync(sanFile) || (await readFile(sanFile, 'utf8')) !== sans.join(','))) {
    await rm(pki.apiserverCert, { force: true });
  }
  await issue(dir, 'apiserver', '/CN=kube-apiserver',
    `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=${sans.join(',')}\n`);
  await writeFile(sanFile, sans.join(','));
  for (const [stem, id] of Object.entries(clientIdentities)) {
    const subject = 'o' in id ? `/O=${id.o}/CN=${id.cn}` : `/CN=${id.cn}`;
    await issue(dir, stem, subject, 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n');
  }
  if (!existsSync(pki.saPub)) {
    await openssl(dir, ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', 'sa.tmp.key']);
    await openssl(dir, ['pkey', '-in', 'sa.tmp.key', '-pubout', '-out', 'sa.tmp.pub']);
    await rename(join(dir, 'sa.tmp.key'), pki.saKey);
    await rename(join(dir, 'sa.tmp.pub'), pki.saPub);
  }
  return pki;
}

/** A kubeconfig with the CA and the client's cert and key embedded, so it can be copied anywhere. */
export async function writeKubeconfig(path: string, server: string, pki: Pki, user: ClientName): Promise<void> {
  const b64 = async (file: string) => (await readFile(file)).toString('base64');
  const { cert, key } = pki.client(user);
  const text = [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: oke-local',
    '  cluster:',
    `    server: ${server}`,
    `    certificate-authority-data: ${await b64(pki.caCert)}`,
    'users:',
    `- name: ${user}`,
    '  user:',
    `    client-certificate-data: ${await b64(cert)}`,
    `    client-key-data: ${await b64(key)}`,
    'contexts:',
    '- name: oke-local',
    '  context:',
    '    cluster: oke-local',
    `    user: ${user}`,
    '    namespace: default',
    'current-context: oke-local',
    '',
  ].join('\n');
  await writeFile(path, text, { mode: 0o600 });
}
