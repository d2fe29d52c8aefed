/**
 * The world oke-login's integration tests run in: the OCI stand-in (HTTPS, own CA) with a user, an API
 * key and clusters, a real kube-apiserver whose token webhook asks the stand-in to verify OKE tokens,
 * and RBAC that lets the stand-in's users list namespaces.
 */
import { KubeConfig, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { spawn } from 'node:child_process';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { load } from 'js-yaml';
import { startKubeAuth, type KubeAuthTarget } from './kube-auth.js';
import { OciStandin } from './oci-standin.js';
import { component, stack } from './stack.js';

export const REGION = 'us-ashburn-1';
export const TENANCY = 'ocid1.tenancy.oc1..aaaaaaaaokelogintest';
export const USER = 'ocid1.user.oc1..aaaaaaaaokeloginuser';
export const OIDC_USER = 'ocid1.user.oc1..aaaaaaaaokeloginoidc';
export const CLUSTER = 'ocid1.cluster.oc1.iad.aaaaaaaaokelogin';
export const CREATING_CLUSTER = 'ocid1.cluster.oc1.iad.aaaaaaaacreating';
export const FORBIDDEN_CLUSTER = 'ocid1.cluster.oc1.iad.aaaaaaaanopolicy';
export const PASSPHRASE = 'integration-passphrase-7f3a';
export const CLIENT_SECRET = 'client-secret-9c1e77d2';
const READER = 'oke-login-test-namespace-reader';

export interface World {
  standin: OciStandin;
  auth: KubeAuthTarget;
  key: KeyObject;
  /** The user's key, PKCS#8 PEM encrypted with PASSPHRASE. */
  encryptedPem: string;
  kubernetesVersion: string;
  /** Env every action run needs: the stand-in's CA. */
  env: Record<string, string>;
  inputs: Record<string, string>;
  close(): Promise<void>;
}

/** A loopback port with nothing listening: a private endpoint a hosted runner cannot reach. */
export const UNREACHABLE = '127.0.0.1:9';

async function grantNamespaceReader(users: string[]): Promise<void> {
  const kc = new KubeConfig();
  kc.loadFromFile(stack.kubeconfig());
  const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
  await rbac.deleteClusterRoleBinding({ name: READER }).catch(() => undefined);
  await rbac.deleteClusterRole({ name: READER }).catch(() => undefined);
  await rbac.createClusterRole({ body: { metadata: { name: READER }, rules: [{ apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'list'] }] } });
  await rbac.createClusterRoleBinding({
    body: {
      metadata: { name: READER },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: READER },
      subjects: users.map((name) => ({ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name })),
    },
  });
}

export async function createWorld(): Promise<World> {
  const kubernetesVersion = String((component('kube').details?.kubernetesVersion as string | undefined) ?? 'v1.34.4');
  await grantNamespaceReader([USER, OIDC_USER]);
  const standin = await OciStandin.start();
  const auth = await startKubeAuth((token) => {
    const r = standin.checkOkeToken(token, CLUSTER);
    return r.ok ? { ok: true, principal: r.principal, groups: standin.groupsOf(r.principal) } : { ok: false, why: r.why };
  });
  const { privateKey: key, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  standin.addUser({ tenancy: TENANCY, user: USER, publicKey, clusters: [CLUSTER, CREATING_CLUSTER], groups: ['oke-deployers'] });
  standin.addPrincipal(OIDC_USER, [CLUSTER], ['github-deployers']);
  const cluster = { region: REGION, kubernetesVersion, caData: auth.caData };
  standin.addCluster({ ...cluster, id: CLUSTER, name: 'oke-local', lifecycleState: 'ACTIVE', endpoints: { public: auth.address, private: UNREACHABLE } });
  standin.addCluster({ ...cluster, id: CREATING_CLUSTER, name: 'oke-new', lifecycleState: 'CREATING', endpoints: { public: auth.address } });
  standin.addCluster({ ...cluster, id: FORBIDDEN_CLUSTER, name: 'oke-other', lifecycleState: 'ACTIVE', endpoints: { public: auth.address } });
  standin.identity.options = { clientId: 'oke-deployer-app', clientSecret: CLIENT_SECRET, audience: 'https://cloud.oracle.com', mapSubject: (sub) => (sub.startsWith('repo:example/app:') ? OIDC_USER : undefined) };
  const encryptedPem = key.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: PASSPHRASE }) as string;
  return {
    standin,
    auth,
    key,
    encryptedPem,
    kubernetesVersion,
    env: { NODE_EXTRA_CA_CERTS: standin.caFile },
    inputs: { 'cluster-id': CLUSTER, region: REGION, tenancy: TENANCY, user: USER, 'private-key': encryptedPem, passphrase: PASSPHRASE, 'api-endpoint': standin.url },
    close: async () => {
      await auth.close();
      await standin.close();
    },
  };
}

export interface Command {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a program (kubectl, the helper) with a clean env plus KUBECONFIG. */
export function runCommand(command: string, args: string[], env: Record<string, string>): Promise<Command> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The credential helper a kubeconfig written by oke-login runs: [node, script, credentials file]. */
export function helperCommand(kubeconfig: string): [string, string, string] {
  const doc = load(readFileSync(kubeconfig, 'utf8')) as { users: Array<{ user: { exec: { command: string; args: string[] } } }> };
  const { command, args } = doc.users[0]!.user.exec;
  if (args[1] !== '--config') throw new Error(`unexpected exec args in ${kubeconfig}: ${args.join(' ')}`);
  return [command, args[0]!, args[2]!];
}
