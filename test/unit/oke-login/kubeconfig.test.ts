import { load } from 'js-yaml';
import { OperationError } from '../../../src/core/errors.js';
import { parseOkeKubeconfig, rewriteKubeconfig, type KubeconfigDoc } from '../../../src/oci/kubeconfig.js';
import { CLUSTER } from './fixtures.js';

const OKE = `---
apiVersion: v1
kind: ""
clusters:
- name: cluster-c4daylfgvrg
  cluster:
    server: https://203.0.113.10:6443
    certificate-authority-data: Q0EgREFUQQ==
users:
- name: user-c4daylfgvrg
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: oci
      args: [ce, cluster, generate-token, --cluster-id, ${CLUSTER}, --region, us-ashburn-1]
      env: []
contexts:
- name: context-c4daylfgvrg
  context:
    cluster: cluster-c4daylfgvrg
    user: user-c4daylfgvrg
current-context: context-c4daylfgvrg
`;

describe('the kubeconfig OKE returns', () => {
  it('is read: server, CA and context', () => {
    expect(parseOkeKubeconfig(OKE)).toMatchObject({ server: 'https://203.0.113.10:6443', caData: 'Q0EgREFUQQ==', context: 'context-c4daylfgvrg' });
  });

  it('is rewritten to run the bundled helper instead of the OCI CLI, with the namespace', () => {
    const out = load(rewriteKubeconfig(parseOkeKubeconfig(OKE), { command: '/opt/node24/bin/node', args: ['/a/dist/oke-token/index.js', '--config', '/t/credentials.json'] }, 'apps')) as KubeconfigDoc;
    expect(out.kind).toBe('Config');
    expect(out.users).toEqual([
      {
        name: 'user-c4daylfgvrg',
        user: { exec: { apiVersion: 'client.authentication.k8s.io/v1beta1', command: '/opt/node24/bin/node', args: ['/a/dist/oke-token/index.js', '--config', '/t/credentials.json'], interactiveMode: 'Never', provideClusterInfo: false } },
      },
    ]);
    expect(out.contexts[0]!.context).toEqual({ cluster: 'cluster-c4daylfgvrg', user: 'user-c4daylfgvrg', namespace: 'apps' });
    expect(out.clusters).toEqual((load(OKE) as KubeconfigDoc).clusters);
    expect(JSON.stringify(out)).not.toContain('"oci"');
  });

  it.each([
    ['not YAML', 'a: [', /it is not YAML/],
    ['no contexts', 'clusters: []\nusers: []\n', /it lacks clusters, users or contexts/],
    ['an http server', OKE.replace('https://203', 'http://203'), /its cluster server is "http:\/\/203.0.113.10:6443", not an https URL/],
    ['no user', OKE.replace(/users:\n[\s\S]*?contexts:/, 'users: []\ncontexts:'), /it has no user/],
  ])('is refused when it has %s', (_, text, message) => {
    expect(() => parseOkeKubeconfig(text)).toThrow(OperationError);
    expect(() => parseOkeKubeconfig(text)).toThrow(message);
  });
});
