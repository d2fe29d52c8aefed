import type { AclBinding, ScramMechanismName } from '../../kafka/acl.js';
import type { ChangeStatus, FilePosition } from './model.js';

/**
 * Access as code: the ACLs and SCRAM users a topics file declares, what the cluster has, and the plan between
 * them. Pure types, beside model.ts's topics.
 */

/** A secret read from where the file says (never from the file): JSON, String() and util.inspect show *** only. */
export class SecretValue {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toJSON(): string {
    return '***';
  }

  toString(): string {
    return '***';
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return '***';
  }
}

/** One SCRAM user as the file declares it. */
export interface DeclaredUser {
  name: string;
  state: 'present' | 'absent';
  mechanism: ScramMechanismName;
  /** Where the password comes from, e.g. `env:REDPANDA_APP_PASSWORD` (present users only). */
  passwordFrom?: { kind: 'env'; name: string };
  /** The password, once read from passwordFrom (inputs parsing does it, and masks it at once). */
  password?: SecretValue;
  /** Re-set the password on every apply (Kafka cannot tell whether it changed). */
  rotate: boolean;
  at: FilePosition;
  fieldAt: { state?: FilePosition; passwordFrom?: FilePosition };
}

/** One ACL binding as the file declares it (an entry with several operations gives one per operation). */
export interface DeclaredAcl {
  binding: AclBinding;
  state: 'present' | 'absent';
  /** Where its entry starts, and where its operation and state were written. */
  at: FilePosition;
  operationAt: FilePosition;
  stateAt?: FilePosition;
}

export interface DeclaredAccess {
  users: DeclaredUser[];
  acls: DeclaredAcl[];
}

export interface ObservedAccess {
  /** Every ACL binding the cluster has (undefined: the file declares no ACLs, so none were read). */
  acls?: AclBinding[];
  /** SCRAM mechanisms of each declared user that exists. */
  users: Map<string, ScramMechanismName[]>;
}

export type AccessChange =
  | { kind: 'create-user'; user: string; mechanism: ScramMechanismName }
  | { kind: 'rotate-password'; user: string; mechanism: ScramMechanismName }
  | { kind: 'delete-user'; user: string; mechanism: ScramMechanismName }
  | { kind: 'create-acl'; acl: AclBinding }
  | { kind: 'delete-acl'; acl: AclBinding };

export type AccessChangeKind = AccessChange['kind'];
export const ACCESS_CHANGE_KINDS: readonly AccessChangeKind[] = ['create-user', 'rotate-password', 'create-acl', 'delete-acl', 'delete-user'];

/** What the cluster has for a declared principal that the file does not declare: reported, never touched. */
export interface AccessDrift {
  kind: 'undeclared-acl';
  acl: AclBinding;
}

export interface AccessOutcome {
  change: AccessChange;
  status: ChangeStatus;
  error?: string;
}

export interface AccessPlan {
  changes: AccessChange[];
  drift: AccessDrift[];
  /** Declared users and ACL bindings that already match. */
  inSync: number;
  /** Apply mode, once apply ran: one per change, in plan order. */
  outcomes?: AccessOutcome[];
}

export function countAccessByKind(changes: readonly AccessChange[]): Record<AccessChangeKind, number> {
  const counts = Object.fromEntries(ACCESS_CHANGE_KINDS.map((k) => [k, 0])) as Record<AccessChangeKind, number>;
  for (const c of changes) counts[c.kind]++;
  return counts;
}
