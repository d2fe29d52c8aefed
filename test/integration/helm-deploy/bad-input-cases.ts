import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * Bad inputs for helm-deploy, one line each: what the step is given, and the input its ::error:: line must name.
 * Used by bad-inputs.test.ts (against the built bundle and the real cluster). Paths are relative to the workspace
 * badInputWorkspace() makes: a copy of the hello chart and a few files that are not what their input expects.
 */
export interface BadInputCase {
  name: string;
  inputs: Record<string, string>;
  /** The inputs the error must name (every problem of the set is reported together). */
  names: string[];
  /** Add a secret-values document whose secret must appear nowhere in what the run printed or wrote. */
  secret?: boolean;
  /** The case names a namespace that does not exist: it must still not exist afterwards. */
  freshNamespace?: boolean;
}

/** Enough `..` to leave any temporary workspace: resolves to /etc/hostname. */
const OUT = '../../../../../../../../etc/hostname';

export const MEGABYTE_MARKER = 'end-of-the-megabyte-file';

export const badInputCases: BadInputCase[] = [
  { name: 'a release name with capitals and _', inputs: { release: 'Bad_Name' }, names: ['release'] },
  { name: 'a release name of 54 characters', inputs: { release: 'a'.repeat(54) }, names: ['release'] },
  { name: 'an empty release', inputs: { release: '' }, names: ['release'], secret: true },
  { name: 'a namespace with capitals', inputs: { namespace: 'Bad_NS' }, names: ['namespace'] },
  { name: 'a namespace of 64 characters', inputs: { namespace: 'n'.repeat(64), 'create-namespace': 'true' }, names: ['namespace'] },
  { name: 'a chart with an ftp:// URL', inputs: { chart: 'ftp://example.com/charts/hello' }, names: ['chart'] },
  { name: 'a chart with an https:// URL instead of repo', inputs: { chart: 'https://example.com/charts/hello-0.1.0.tgz' }, names: ['chart'] },
  { name: 'a local chart outside the workspace', inputs: { chart: '../../../../../../../../etc' }, names: ['chart'] },
  { name: 'a local chart that does not exist', inputs: { chart: 'charts/missing' }, names: ['chart'] },
  { name: 'an OCI reference without a path', inputs: { chart: 'oci://ghcr.io' }, names: ['chart'] },
  { name: 'a repo with an ftp:// URL', inputs: { chart: 'hello', repo: 'ftp://charts.example.com/' }, names: ['repo'] },
  { name: 'a repo that is not a URL', inputs: { chart: 'hello', repo: 'charts.example.com' }, names: ['repo'] },
  { name: 'chart-version for a local chart', inputs: { 'chart-version': '0.1.0' }, names: ['chart-version'] },
  { name: 'a set line with an empty key', inputs: { set: '=value' }, names: ['set'], secret: true },
  { name: 'a set line without =', inputs: { set: 'replicas' }, names: ['set'] },
  { name: 'a set-string line with an empty key', inputs: { 'set-string': ' =x' }, names: ['set-string'] },
  { name: 'a set-file outside the workspace', inputs: { 'set-file': `message=${OUT}` }, names: ['set-file'], secret: true },
  { name: 'a set-file that does not exist', inputs: { 'set-file': 'message=missing.txt' }, names: ['set-file'] },
  { name: 'a values file outside the workspace', inputs: { 'values-files': OUT }, names: ['values-files'] },
  { name: 'a values file that is not YAML', inputs: { 'values-files': 'values/broken.yaml' }, names: ['values-files'], secret: true },
  { name: 'a values file that is a list', inputs: { 'values-files': 'values/list.yaml' }, names: ['values-files'] },
  { name: 'a values file that is really /etc/passwd', inputs: { 'values-files': 'values/passwd' }, names: ['values-files'] },
  { name: 'a values file of 1 MB that is not a mapping', inputs: { 'values-files': 'values/megabyte.txt' }, names: ['values-files'] },
  { name: 'a values file that is binary', inputs: { 'values-files': 'values/binary.bin' }, names: ['values-files'] },
  { name: 'a kubeconfig outside the workspace', inputs: { kubeconfig: OUT }, names: ['kubeconfig'] },
  { name: 'a kubeconfig that does not exist', inputs: { kubeconfig: 'kube/missing' }, names: ['kubeconfig'] },
  { name: 'a kubeconfig that is not YAML', inputs: { kubeconfig: 'values/broken.yaml' }, names: ['kubeconfig'], secret: true },
  { name: 'secret-values that are not YAML', inputs: { 'secret-values': 'password: "unterminated-s3cret-value\n' }, names: ['secret-values'] },
  { name: 'secret-values that are a list', inputs: { 'secret-values': '- s3cret-in-a-list\n' }, names: ['secret-values'] },
  { name: 'a timeout without a unit', inputs: { timeout: '5' }, names: ['timeout'] },
  { name: 'wait: yes', inputs: { wait: 'yes' }, names: ['wait'] },
  { name: 'Helm 2', inputs: { 'helm-version': '2.17.0' }, names: ['helm-version'] },
  { name: 'helm-version: latest', inputs: { 'helm-version': 'latest' }, names: ['helm-version'] },
  { name: 'a helm-base-url with ftp://', inputs: { 'helm-base-url': 'ftp://mirror.example.com/helm' }, names: ['helm-base-url'] },
  { name: 'history-max: -1', inputs: { 'history-max': '-1' }, names: ['history-max'] },
  { name: 'create-namespace: maybe, for a namespace that does not exist', inputs: { 'create-namespace': 'maybe' }, names: ['create-namespace'], freshNamespace: true },
  { name: 'allow-outside-workspace: perhaps', inputs: { 'allow-outside-workspace': 'perhaps' }, names: ['allow-outside-workspace'] },
  {
    name: 'four problems at once',
    inputs: { release: 'Bad', namespace: 'Bad', set: '=1', 'values-files': OUT, 'create-namespace': 'true' },
    names: ['release', 'namespace', 'set', 'values-files'],
    secret: true,
  },
];

/** A workspace with the hello chart (at chart/) and files that are not what their inputs expect. */
export function badInputWorkspace(chart: string): string {
  const ws = mkdtempSync(join(tmpdir(), 'helm-deploy-bad-ws-'));
  cpSync(chart, join(ws, 'chart'), { recursive: true });
  mkdirSync(join(ws, 'values'));
  mkdirSync(join(ws, 'kube'));
  writeFileSync(join(ws, 'values', 'broken.yaml'), 'replicas: 1\nmessage: "unterminated\nenv:\n  A: b\n');
  writeFileSync(join(ws, 'values', 'list.yaml'), '- replicas: 1\n- message: hi\n');
  writeFileSync(join(ws, 'values', 'passwd'), 'root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\nbin:x:2:2:bin:/bin:/usr/sbin/nologin\nsys:x:3:3:sys:/dev:/usr/sbin/nologin\nsecret-user:x:1000:1000::/home/secret-user:/bin/bash\n');
  writeFileSync(join(ws, 'values', 'megabyte.txt'), `${'lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor\n'.repeat(13_000)}${MEGABYTE_MARKER}\n`);
  writeFileSync(join(ws, 'values', 'binary.bin'), Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 37) % 256)));
  return resolve(ws);
}
