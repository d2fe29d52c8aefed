/**
 * The kubeconfig OKE returns, checked and rewritten: its user runs `oci ce cluster generate-token`
 * (the OCI CLI); ours runs the action's own credential helper instead. Nothing secret is in the
 * kubeconfig itself: the helper reads its key from a separate 0600 file.
 */
import { dump, load } from 'js-yaml';
import { OperationError, errorMessage } from '../core/errors.js';
import { EXEC_API_VERSION } from './oke-token.js';

interface NamedCluster {
  name: string;
  cluster: { server?: string; 'certificate-authority-data'?: string; [k: string]: unknown };
}
interface NamedUser {
  name: string;
  user: Record<string, unknown>;
}
interface NamedContext {
  name: string;
  context: { cluster?: string; user?: string; namespace?: string };
}
export interface KubeconfigDoc {
  apiVersion?: string;
  kind?: string;
  clusters: NamedCluster[];
  users: NamedUser[];
  contexts: NamedContext[];
  'current-context'?: string;
  [k: string]: unknown;
}

export interface OkeKubeconfig {
  doc: KubeconfigDoc;
  /** The API server URL of the current context. */
  server: string;
  /** Base64 PEM of the cluster CA, when OKE sent one. */
  caData: string | undefined;
  context: string;
}

const unexpected = (why: string): OperationError =>
  new OperationError(`CreateKubeconfig returned an unexpected kubeconfig: ${why}`, { hint: 'retry the job; if it persists, check api-endpoint (when set) or report it with the opc-request-id' });

export function parseOkeKubeconfig(text: string): OkeKubeconfig {
  let doc: KubeconfigDoc;
  try {
    doc = load(text) as KubeconfigDoc;
  } catch (err) {
    throw unexpected(`it is not YAML (${errorMessage(err)})`);
  }
  if (!doc || typeof doc !== 'object' || !Array.isArray(doc.clusters) || !Array.isArray(doc.users) || !Array.isArray(doc.contexts)) throw unexpected('it lacks clusters, users or contexts');
  const context = doc.contexts.find((c) => c.name === doc['current-context']) ?? doc.contexts[0];
  if (!context) throw unexpected('it has no context');
  const cluster = doc.clusters.find((c) => c.name === context.context?.cluster) ?? doc.clusters[0];
  const server = cluster?.cluster?.server;
  if (!server || !/^https:\/\//.test(server)) throw unexpected(`its cluster server is ${server ? `"${server}", not an https URL` : 'missing'}`);
  if (!doc.users.length) throw unexpected('it has no user');
  return { doc, server, caData: cluster.cluster['certificate-authority-data'], context: context.name };
}

export interface ExecCommand {
  command: string;
  args: string[];
}

/** Replaces every user's credentials with the credential helper; optionally sets the context namespace. */
export function rewriteKubeconfig(k: OkeKubeconfig, exec: ExecCommand, namespace?: string): string {
  const doc = JSON.parse(JSON.stringify(k.doc)) as KubeconfigDoc;
  doc.apiVersion = 'v1';
  doc.kind = 'Config';
  doc['current-context'] = k.context;
  doc.users = doc.users.map((u) => ({
    name: u.name,
    user: { exec: { apiVersion: EXEC_API_VERSION, command: exec.command, args: exec.args, interactiveMode: 'Never', provideClusterInfo: false } },
  }));
  if (namespace) {
    doc.contexts = doc.contexts.map((c) => (c.name === k.context ? { ...c, context: { ...c.context, namespace } } : c));
  }
  return dump(doc, { noRefs: true, lineWidth: -1 });
}
