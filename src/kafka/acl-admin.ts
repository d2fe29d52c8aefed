import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { AclOperations, AclPermissionTypes, protocolErrorsCodesById, ResourcePatternTypes, ResourceTypes, ScramMechanisms } from '@platformatic/kafka';
import type { Logger } from '../core/log.js';
import { OperationError } from '../core/errors.js';
import { SCRAM_ITERATIONS, aclKey, type AclBinding, type ScramMechanismName } from './acl.js';
import type { ItemResult } from './topic-admin.js';
import type { WireApiName, WireArgs, WireResponse } from './wire.js';

/**
 * ACLs and SCRAM users over the Kafka protocol (DescribeAcls, CreateAcls, DeleteAcls, DescribeUserScramCredentials,
 * AlterUserScramCredentials), on the connection of a TopicAdmin (TopicAdmin.access()). Like TopicAdmin: each
 * request is sent once, and every binding or user gets its own result instead of an exception for the batch.
 * A password only ever travels as a salted hash (SCRAM's stored form), computed here.
 */
export type WireSend = <N extends WireApiName>(name: N, ...args: WireArgs<N>) => Promise<WireResponse<N>>;

/** A SCRAM credential to create or re-set. The password is only read to hash it. */
export interface ScramUpsert {
  name: string;
  mechanism: ScramMechanismName;
  password: () => string;
}

export interface ScramDeletion {
  name: string;
  mechanism: ScramMechanismName;
}

const BATCH = 500;
const SECURITY_DISABLED = 54;
const RESOURCE_NOT_FOUND = 91;

type Vocabulary = Record<string, number>;
const lower = (v: Vocabulary): Map<number, string> => new Map(Object.entries(v).map(([k, n]) => [n, k.toLowerCase()]));
const RESOURCE_WORDS = lower(ResourceTypes);
const OPERATION_WORDS = lower(AclOperations);
const PATTERN_WORDS = lower(ResourcePatternTypes);
const PERMISSION_WORDS = lower(AclPermissionTypes);

function numberOf<T extends number>(vocabulary: Record<string, T>, word: string, what: string): T {
  const n = vocabulary[word.toUpperCase()];
  if (n === undefined) throw new Error(`bug: ${what} "${word}" has no Kafka protocol value`);
  return n;
}

function toWire(b: AclBinding): WireArgs<'CreateAcls'>[0][number] {
  return {
    resourceType: numberOf(ResourceTypes, b.resourceType, 'resource type'),
    resourceName: b.resourceName,
    resourcePatternType: numberOf(ResourcePatternTypes, b.patternType, 'pattern type'),
    principal: b.principal,
    host: b.host,
    operation: numberOf(AclOperations, b.operation, 'operation'),
    permissionType: numberOf(AclPermissionTypes, b.permission, 'permission'),
  };
}

const word = (words: Map<number, string>, n: number): string => words.get(n) ?? `unknown(${n})`;

function errorOf(code: number, message: string | null | undefined): { error: string; errorId: string } {
  const id = protocolErrorsCodesById[code] ?? `ERROR_${code}`;
  return { errorId: id, error: `${id}: ${message ?? 'no message from the broker'}` };
}

const missing = (name: string, what: string): ItemResult => ({ name, errorId: 'NO_RESULT', error: `the broker did not report on this ${what}` });

const HASHES: Record<ScramMechanismName, { hash: 'sha256' | 'sha512'; bytes: number; wire: number }> = {
  'SCRAM-SHA-256': { hash: 'sha256', bytes: 32, wire: ScramMechanisms.SCRAM_SHA_256 },
  'SCRAM-SHA-512': { hash: 'sha512', bytes: 64, wire: ScramMechanisms.SCRAM_SHA_512 },
};
const MECHANISM_NAMES = new Map<number, ScramMechanismName>(Object.entries(HASHES).map(([name, h]) => [h.wire, name as ScramMechanismName]));

/** SCRAM's stored form of a password (RFC 5802 Hi() = PBKDF2 with the mechanism's HMAC): what the broker keeps. */
export function saltedPassword(mechanism: ScramMechanismName, password: string, salt: Buffer, iterations: number): Buffer {
  const h = HASHES[mechanism];
  return pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, h.bytes, h.hash);
}

/** Splits items into requests where no user appears twice (Kafka refuses a request naming a user twice). */
function byDistinctUser<T extends { name: string }>(items: readonly T[]): T[][] {
  const rounds: T[][] = [];
  for (const item of items) {
    let round = rounds.find((r) => r.length < BATCH && !r.some((x) => x.name === item.name));
    if (!round) rounds.push((round = []));
    round.push(item);
  }
  return rounds;
}

export class AclAdmin {
  constructor(
    private readonly send: WireSend,
    private readonly log: Logger,
  ) {}

  /** Every ACL binding on the cluster (one request). A cluster without an authorizer has none to manage: that is an error. */
  async describeAcls(): Promise<AclBinding[]> {
    const res = await this.send('DescribeAcls', {
      resourceType: ResourceTypes.ANY,
      resourceName: null,
      resourcePatternType: ResourcePatternTypes.ANY,
      principal: null,
      host: null,
      operation: AclOperations.ANY,
      permissionType: AclPermissionTypes.ANY,
    });
    if (res.errorCode === SECURITY_DISABLED) {
      throw new OperationError(`the brokers have no authorizer, so they keep no ACLs (${errorOf(res.errorCode, res.errorMessage).error})`, {
        hint: 'enable an authorizer on the brokers (Kafka KRaft: authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer), or remove `acls` from the file',
      });
    }
    if (res.errorCode) throw new OperationError(`describing ACLs: ${errorOf(res.errorCode, res.errorMessage).error}`, { hint: 'the user needs DESCRIBE on the cluster resource to read ACLs' });
    return res.resources.flatMap((r) =>
      r.acls.map((a) => ({
        principal: a.principal,
        host: a.host,
        resourceType: word(RESOURCE_WORDS, r.resourceType),
        resourceName: r.resourceName,
        patternType: word(PATTERN_WORDS, r.resourcePatternType),
        operation: word(OPERATION_WORDS, a.operation),
        permission: word(PERMISSION_WORDS, a.permissionType),
      })),
    );
  }

  /** One result per binding, named by aclKey(binding). */
  async createAcls(bindings: readonly AclBinding[]): Promise<ItemResult[]> {
    const out = await this.inBatches(bindings, async (batch) => {
      const res = await this.send('CreateAcls', batch.map(toWire));
      return batch.map((b, j) => {
        const r = res.results[j];
        return !r ? missing(aclKey(b), 'ACL') : r.errorCode ? { name: aclKey(b), ...errorOf(r.errorCode, r.errorMessage) } : { name: aclKey(b) };
      });
    });
    this.log.debug(`CreateAcls: ${bindings.length} binding(s)`);
    return out;
  }

  /** Deletes exactly these bindings (each filter matches one binding; none matching means it is already gone). */
  async deleteAcls(bindings: readonly AclBinding[]): Promise<ItemResult[]> {
    return this.inBatches(bindings, async (batch) => {
      const res = await this.send('DeleteAcls', batch.map(toWire));
      return batch.map((b, j) => {
        const r = res.filterResults[j];
        const bad = r?.errorCode ? r : r?.matchingAcls.find((m) => m.errorCode);
        return !r ? missing(aclKey(b), 'ACL') : bad ? { name: aclKey(b), ...errorOf(bad.errorCode, bad.errorMessage) } : { name: aclKey(b) };
      });
    });
  }

  /** One request per BATCH bindings, in order; the per-binding results of every batch, in the bindings' order. */
  private async inBatches(bindings: readonly AclBinding[], send: (batch: readonly AclBinding[]) => Promise<ItemResult[]>): Promise<ItemResult[]> {
    const out: ItemResult[] = [];
    for (let i = 0; i < bindings.length; i += BATCH) out.push(...(await send(bindings.slice(i, i + BATCH))));
    return out;
  }

  /** The SCRAM mechanisms each named user has credentials for; a user without any is not in the map. */
  async describeScramUsers(names: readonly string[]): Promise<Map<string, ScramMechanismName[]>> {
    const out = new Map<string, ScramMechanismName[]>();
    if (!names.length) return out;
    const res = await this.send('DescribeUserScramCredentials', names.map((name) => ({ name })));
    if (res.errorCode) throw new OperationError(`describing SCRAM users: ${errorOf(res.errorCode, res.errorMessage).error}`, { hint: 'the user needs DESCRIBE on the cluster resource to list SCRAM users' });
    const problems: string[] = [];
    for (const r of res.results) {
      if (r.errorCode === RESOURCE_NOT_FOUND) continue;
      if (r.errorCode) problems.push(`${r.user}: ${errorOf(r.errorCode, r.errorMessage).error}`);
      else out.set(r.user, r.credentialInfos.map((c) => MECHANISM_NAMES.get(c.mechanism)).filter((m): m is ScramMechanismName => m !== undefined));
    }
    if (problems.length) throw new OperationError(`describing SCRAM users failed for ${problems.length} user(s): ${problems.slice(0, 5).join('; ')}`, { hint: 'the user needs DESCRIBE on the cluster resource' });
    return out;
  }

  /** Creates or re-sets credentials: a fresh salt each time, the password hashed here, never sent. One result per user, named by it. */
  async upsertScram(users: readonly ScramUpsert[], iterations = SCRAM_ITERATIONS): Promise<ItemResult[]> {
    return this.alterScram([], users, iterations);
  }

  async deleteScram(credentials: readonly ScramDeletion[]): Promise<ItemResult[]> {
    return this.alterScram(credentials, [], SCRAM_ITERATIONS);
  }

  private async alterScram(deletions: readonly ScramDeletion[], upsertions: readonly ScramUpsert[], iterations: number): Promise<ItemResult[]> {
    const out: ItemResult[] = [];
    type Item = { name: string; delete?: ScramDeletion; upsert?: ScramUpsert };
    const items: Item[] = [...deletions.map((d) => ({ name: d.name, delete: d })), ...upsertions.map((u) => ({ name: u.name, upsert: u }))];
    for (const round of byDistinctUser(items)) {
      const del = round.filter((i) => i.delete).map((i) => ({ name: i.name, mechanism: HASHES[i.delete!.mechanism].wire }));
      const up = round
        .filter((i) => i.upsert)
        .map((i) => {
          const salt = randomBytes(32);
          return { name: i.name, mechanism: HASHES[i.upsert!.mechanism].wire, iterations, salt, saltedPassword: saltedPassword(i.upsert!.mechanism, i.upsert!.password(), salt, iterations) };
        });
      const res = await this.send('AlterUserScramCredentials', del, up);
      const byUser = new Map(res.results.map((r) => [r.user, r]));
      for (const i of round) {
        const r = byUser.get(i.name);
        out.push(!r ? missing(i.name, 'user') : r.errorCode ? { name: i.name, ...errorOf(r.errorCode, r.errorMessage) } : { name: i.name });
      }
    }
    return out;
  }
}
