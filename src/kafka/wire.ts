/**
 * The one module that reaches into @platformatic/kafka's internals: the symbols that hand out a client's
 * connections (kGetBootstrapConnection, kGetConnection) and its negotiated protocol APIs (kGetApi).
 * TopicAdmin sends raw requests through them because the library's Admin methods retry mutating requests
 * (a half-applied batch could be sent twice) and throw on the first per-topic error (a result per topic is
 * what the plan needs).
 *
 * Everything here is typed by the library's own exported API definitions (WIRE_APIS), so a changed request
 * or response shape fails the type check. The package is pinned exactly in package.json, and
 * test/unit/kafka/wire.test.ts fails when an upgrade changes what this relies on: the version pin, the three
 * symbols, and the positional arguments of every version of each API below that a broker could negotiate.
 */
import {
  Admin,
  alterUserScramCredentialsV0,
  createAclsV3,
  createPartitionsV3,
  createTopicsV7,
  deleteAclsV3,
  deleteTopicsV6,
  describeAclsV3,
  describeConfigsV4,
  describeUserScramCredentialsV0,
  incrementalAlterConfigsV1,
  kGetApi,
  kGetBootstrapConnection,
  kGetConnection,
  metadataV12,
  ResponseError,
  type API,
  type Connection,
} from '@platformatic/kafka';

/**
 * The requests TopicAdmin sends, typed by the newest version the library implements. kGetApi picks the
 * newest version both the library and the brokers support; every version of these takes the same
 * positional arguments (the unit test checks each one).
 */
export const WIRE_APIS = {
  Metadata: metadataV12.api,
  DescribeConfigs: describeConfigsV4.api,
  CreateTopics: createTopicsV7.api,
  CreatePartitions: createPartitionsV3.api,
  IncrementalAlterConfigs: incrementalAlterConfigsV1.api,
  DeleteTopics: deleteTopicsV6.api,
  // Access (src/kafka/acl-admin.ts): the library's Admin has no SCRAM user calls, and its ACL calls throw on the first error.
  DescribeAcls: describeAclsV3.api,
  CreateAcls: createAclsV3.api,
  DeleteAcls: deleteAclsV3.api,
  DescribeUserScramCredentials: describeUserScramCredentialsV0.api,
  AlterUserScramCredentials: alterUserScramCredentialsV0.api,
} as const;

type Apis = typeof WIRE_APIS;
export type WireApiName = keyof Apis;
export type WireArgs<N extends WireApiName> = Apis[N] extends API<infer A, unknown> ? A : never;
export type WireResponse<N extends WireApiName> = Apis[N] extends API<never, infer R> ? R : never;

const fromCallback = <T>(start: (cb: (err: Error | null, value?: T) => void) => void): Promise<T> =>
  new Promise<T>((resolve, reject) => start((err, value) => (err ? reject(err) : resolve(value as T))));

export class KafkaWire {
  constructor(private readonly admin: Admin) {}

  /** A connection to one of the bootstrap brokers (authenticated as the client's options say). */
  bootstrap(): Promise<Connection> {
    return fromCallback<Connection>((cb) => this.admin[kGetBootstrapConnection](cb));
  }

  /** A pooled connection to a given broker. */
  connectionTo(broker: { host: string; port: number }): Promise<Connection> {
    return fromCallback<Connection>((cb) => this.admin[kGetConnection](broker, cb));
  }

  /**
   * Sends one request, once (no library retry), in the version negotiated with the brokers. A response
   * carrying per-item errors is returned as it is, not thrown: the caller reads each item's error code.
   */
  async send<N extends WireApiName>(connection: Connection, name: N, ...args: WireArgs<N>): Promise<WireResponse<N>> {
    const api = await fromCallback<API<WireArgs<N>, WireResponse<N>>>((cb) => this.admin[kGetApi]<WireArgs<N>, WireResponse<N>>(name, cb));
    try {
      return await api.async(connection, ...args);
    } catch (err) {
      if (err instanceof ResponseError && err.response) return err.response as WireResponse<N>;
      throw err;
    }
  }
}
