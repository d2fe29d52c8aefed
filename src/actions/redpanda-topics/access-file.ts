import type { ConfigurationProblem } from '../../core/errors.js';
import { clip } from '../../core/inputs.js';
import type { Secrets } from '../../core/secrets.js';
import { formatPath, type PositionedYaml, type YamlPath } from '../../core/yaml.js';
import { aclKey, aclLine, CLUSTER_RESOURCE_NAME, type AclBinding, type AclOperationName, type ScramMechanismName } from '../../kafka/acl.js';
import { SecretValue, type DeclaredAccess, type DeclaredAcl, type DeclaredUser } from './access-model.js';
import type { TopicsFile } from './model.js';

/**
 * The `users` and `acls` of a topics file, after the schema has checked each entry's shape: their meaning
 * (defaults applied, one binding per operation) and the rules that need the whole list (a user or a binding
 * declared twice, a resource without a name), each problem with file:line:column. Passwords are read later, by
 * resolvePasswords, from where passwordFrom says (never from the file), and masked the moment they are read.
 */
interface RawUser {
  name: string;
  state?: 'present' | 'absent';
  mechanism?: ScramMechanismName;
  passwordFrom?: string;
  rotate?: boolean;
}

interface RawAcl {
  principal: string;
  host?: string;
  resourceType: AclBinding['resourceType'];
  resourceName?: string;
  patternType?: AclBinding['patternType'];
  operations: AclOperationName[];
  permission?: AclBinding['permission'];
  state?: 'present' | 'absent';
}

const isMapping = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

export interface AccessParse {
  access: DeclaredAccess | undefined;
  problems: ConfigurationProblem[];
}

/**
 * Reads `users` and `acls` from the document. `usable(path)` says whether the schema accepted the entry at path;
 * entries it refused are skipped here (their own problem says why), but still take part in the duplicate checks
 * when their name is usable.
 */
export function parseAccess(doc: PositionedYaml, usable: (path: string) => boolean): AccessParse {
  const raw = doc.value as { users?: unknown; acls?: unknown };
  const problems: ConfigurationProblem[] = [];
  const loc = (path: YamlPath): { file: string; line: number; column: number } => ({ file: doc.file, ...doc.at(path) });
  if (raw.users === undefined && raw.acls === undefined) return { access: undefined, problems };

  const users: DeclaredUser[] = [];
  const seenUsers = new Map<string, number>();
  (Array.isArray(raw.users) ? raw.users : []).forEach((entry: unknown, i) => {
    const here: YamlPath = ['users', i];
    if (isMapping(entry) && typeof entry.name === 'string' && usable(formatPath([...here, 'name']))) {
      const first = seenUsers.get(entry.name);
      if (first !== undefined) {
        problems.push({
          input: formatPath([...here, 'name']),
          problem: `user "${clip(entry.name, 80)}" is declared twice (first at line ${doc.at(['users', first]).line})`,
          fix: 'keep one entry per user (one SCRAM mechanism each)',
          location: loc([...here, 'name']),
        });
      } else seenUsers.set(entry.name, i);
    }
    if (!usable(formatPath(here))) return;
    const u = entry as RawUser;
    const state = u.state ?? 'present';
    if (state === 'present' && u.passwordFrom === undefined) {
      problems.push({ input: formatPath(here), problem: `user "${clip(u.name, 80)}" has no passwordFrom`, fix: 'add `passwordFrom: env:<VARIABLE>` naming the environment variable that holds its password (set it from a secret)', location: loc(here) });
    }
    const from = u.passwordFrom === undefined ? undefined : { kind: 'env' as const, name: u.passwordFrom.slice('env:'.length) };
    users.push({
      name: u.name,
      state,
      mechanism: u.mechanism ?? 'SCRAM-SHA-256',
      ...(from ? { passwordFrom: from } : {}),
      rotate: u.rotate ?? false,
      at: doc.at(here),
      fieldAt: { ...(u.state !== undefined ? { state: doc.at([...here, 'state']) } : {}), ...(from ? { passwordFrom: doc.at([...here, 'passwordFrom']) } : {}) },
    });
  });

  const acls: DeclaredAcl[] = [];
  const seenAcls = new Map<string, { line: number; op: number }>();
  (Array.isArray(raw.acls) ? raw.acls : []).forEach((entry: unknown, i) => {
    const here: YamlPath = ['acls', i];
    if (!usable(formatPath(here))) return;
    const a = entry as RawAcl;
    const cluster = a.resourceType === 'cluster';
    if (!cluster && a.resourceName === undefined) {
      problems.push({ input: formatPath(here), problem: `an ACL on a ${a.resourceType} needs resourceName`, fix: `add \`resourceName:\` (the ${a.resourceType}'s name, or a prefix with patternType: prefixed)`, location: loc(here) });
      return;
    }
    if (cluster && a.resourceName !== undefined && a.resourceName !== CLUSTER_RESOURCE_NAME) {
      problems.push({ input: formatPath([...here, 'resourceName']), problem: `the cluster resource is named "${CLUSTER_RESOURCE_NAME}", not "${clip(a.resourceName, 80)}"`, fix: `remove resourceName (or write ${CLUSTER_RESOURCE_NAME})`, location: loc([...here, 'resourceName']) });
      return;
    }
    if (cluster && a.patternType === 'prefixed') {
      problems.push({ input: formatPath([...here, 'patternType']), problem: 'the cluster resource cannot be matched by prefix', fix: 'remove patternType (literal)', location: loc([...here, 'patternType']) });
      return;
    }
    a.operations.forEach((operation, j) => {
      const binding: AclBinding = {
        principal: a.principal,
        host: a.host ?? '*',
        resourceType: a.resourceType,
        resourceName: cluster ? CLUSTER_RESOURCE_NAME : a.resourceName!,
        patternType: a.patternType ?? 'literal',
        operation,
        permission: a.permission ?? 'allow',
      };
      const key = aclKey(binding);
      const first = seenAcls.get(key);
      const opPath: YamlPath = [...here, 'operations', j];
      if (first !== undefined) {
        problems.push({ input: formatPath(opPath), problem: `the ACL "${clip(aclLine(binding), 200)}" is declared twice (first at line ${first.line})`, fix: 'keep one declaration of each ACL (an entry to delete stays listed once, with state: absent)', location: loc(opPath) });
        return;
      }
      seenAcls.set(key, { line: doc.at(opPath).line, op: j });
      acls.push({ binding, state: a.state ?? 'present', at: doc.at(here), operationAt: doc.at(opPath), ...(a.state !== undefined ? { stateAt: doc.at([...here, 'state']) } : {}) });
    });
  });
  return { access: { users, acls }, problems };
}

/**
 * Reads each present user's password from where its passwordFrom says, registers it as a secret at once, and keeps
 * it on the user as a SecretValue (shown as *** anywhere). A missing or empty variable is a problem of the file,
 * at the passwordFrom line, reported with the others before anything talks to a broker.
 */
export function resolvePasswords(file: TopicsFile, env: NodeJS.ProcessEnv, secrets: Secrets): ConfigurationProblem[] {
  const problems: ConfigurationProblem[] = [];
  (file.access?.users ?? []).forEach((u) => {
    if (u.state !== 'present' || !u.passwordFrom) return;
    const value = env[u.passwordFrom.name];
    secrets.add(value);
    const location = { file: file.path, ...(u.fieldAt.passwordFrom ?? u.at) };
    const input = `user ${u.name} passwordFrom`;
    if (value === undefined) {
      problems.push({ input, problem: `the environment variable ${u.passwordFrom.name} is not set`, fix: `set ${u.passwordFrom.name} on the step from a secret, e.g. \`env: { ${u.passwordFrom.name}: \${{ secrets.${u.passwordFrom.name} }} }\``, location });
    } else if (value.trim() === '') {
      problems.push({ input, problem: `the environment variable ${u.passwordFrom.name} is empty`, fix: `give ${u.passwordFrom.name} the user's password (is the secret it comes from defined in this repository or environment?)`, location });
    } else u.password = new SecretValue(value);
  });
  return problems;
}
