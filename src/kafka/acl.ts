/**
 * Kafka access control as plain data: ACL bindings and SCRAM credentials, in the words users write (rpk's:
 * `topic`, `describe_configs`, `prefixed`, `allow`). Pure: no client here. acl-admin.ts maps these onto
 * the wire's numbers; the redpanda-topics file, planner and renderer use only these.
 */
export const ACL_RESOURCE_TYPES = ['topic', 'group', 'cluster', 'transactional_id', 'delegation_token', 'user'] as const;
export const ACL_OPERATIONS = [
  'all',
  'read',
  'write',
  'create',
  'delete',
  'alter',
  'describe',
  'cluster_action',
  'describe_configs',
  'alter_configs',
  'idempotent_write',
  'create_tokens',
  'describe_tokens',
] as const;
export const ACL_PATTERN_TYPES = ['literal', 'prefixed'] as const;
export const ACL_PERMISSIONS = ['allow', 'deny'] as const;
export const SCRAM_MECHANISMS = ['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const;

export type AclResourceType = (typeof ACL_RESOURCE_TYPES)[number];
export type AclOperationName = (typeof ACL_OPERATIONS)[number];
export type AclPatternType = (typeof ACL_PATTERN_TYPES)[number];
export type AclPermissionName = (typeof ACL_PERMISSIONS)[number];
export type ScramMechanismName = (typeof SCRAM_MECHANISMS)[number];

/** The one name Kafka gives the cluster resource. */
export const CLUSTER_RESOURCE_NAME = 'kafka-cluster';

/**
 * One ACL binding: one principal, one operation, one permission on one resource pattern. Observed bindings may
 * carry words outside the vocabulary above (a newer broker's operation): they are kept as the broker spelled them.
 */
export interface AclBinding {
  principal: string;
  host: string;
  resourceType: AclResourceType | (string & {});
  resourceName: string;
  patternType: AclPatternType | (string & {});
  operation: AclOperationName | (string & {});
  permission: AclPermissionName | (string & {});
}

/** A stable identity for a binding (every field; case as written: Kafka's names are case-sensitive). */
export function aclKey(b: AclBinding): string {
  return JSON.stringify([b.principal, b.host, b.resourceType, b.patternType, b.resourceName, b.operation, b.permission]);
}

/** A binding in one line, rpk style: `allow User:app read on topic task-events (literal) from *`. */
export function aclLine(b: AclBinding): string {
  const host = b.host === '*' ? '' : ` from ${b.host}`;
  const pattern = b.patternType === 'prefixed' ? ` (prefix)` : '';
  return `${b.permission} ${b.principal} ${b.operation} on ${b.resourceType} ${b.resourceName}${pattern}${host}`;
}

/** The user name in a `User:<name>` principal, or undefined for any other principal. */
export function userOfPrincipal(principal: string): string | undefined {
  const m = /^User:(.+)$/.exec(principal);
  return m?.[1];
}

/** SCRAM iterations for new credentials: Kafka accepts 4096 to 16384. */
export const SCRAM_ITERATIONS = 8192;
