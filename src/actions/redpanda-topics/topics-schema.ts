/**
 * The topics file's JSON Schema. actions/redpanda-topics/topics.schema.json is this object, written out
 * for editors (a unit test keeps the two identical); the action validates files against it with
 * json-schema.ts, which reports every problem with file, line and column.
 */
import { ACL_OPERATIONS, ACL_PATTERN_TYPES, ACL_PERMISSIONS, ACL_RESOURCE_TYPES, SCRAM_MECHANISMS } from '../../kafka/acl.js';

export const API_VERSION = 'redpanda-topics/v1';

export const topicsSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'Kafka/Redpanda topics file (redpanda-topics action)',
  description: 'Topics as code: the redpanda-topics action makes the cluster match this file. Undeclared topics and overrides are reported as drift, never touched.',
  type: 'object',
  additionalProperties: false,
  required: ['apiVersion', 'topics'],
  properties: {
    apiVersion: { description: `The file format version: ${API_VERSION}.`, type: 'string', enum: [API_VERSION] },
    defaults: {
      description: 'Applied to every topic that does not set the field itself; configs are merged key by key.',
      type: 'object',
      additionalProperties: false,
      properties: {
        partitions: { $ref: '#/definitions/partitions' },
        replicationFactor: { $ref: '#/definitions/replicationFactor' },
        configs: { $ref: '#/definitions/configs' },
      },
    },
    policy: {
      description: 'Rules every declared topic must follow; a violation fails the step before any change.',
      type: 'object',
      additionalProperties: false,
      properties: {
        namePattern: { description: 'A regular expression every topic name must match as a whole, e.g. ^[a-z][a-z0-9.-]*$.', type: 'string', minLength: 1 },
        minPartitions: { $ref: '#/definitions/partitions' },
        maxPartitions: { $ref: '#/definitions/partitions' },
        requiredConfigs: {
          description: 'Config keys every present topic must declare (itself or through defaults).',
          type: 'array',
          uniqueItems: true,
          items: { $ref: '#/definitions/configKey' },
        },
        managedPrefixes: {
          description: 'Name prefixes this file owns: declared topics must start with one, and only undeclared topics under them are reported as drift.',
          type: 'array',
          uniqueItems: true,
          items: { type: 'string', minLength: 1 },
        },
      },
    },
    topics: {
      description: 'The topics this file manages, at least one; a topic to delete stays listed, with state: absent.',
      type: 'array',
      minItems: 1,
      items: { $ref: '#/definitions/topic' },
    },
    users: {
      description: 'SCRAM users this file manages, by name: each password comes from where passwordFrom says, never from this file. A user to delete stays listed, with state: absent.',
      type: 'array',
      items: { $ref: '#/definitions/user' },
    },
    acls: {
      description: 'ACLs this file manages: each entry allows (or denies) one principal some operations on one resource. ACLs of these principals that the file does not declare are reported as drift, never touched.',
      type: 'array',
      items: { $ref: '#/definitions/acl' },
    },
  },
  definitions: {
    topicName: {
      description: 'A Kafka topic name: letters, digits, ".", "_" and "-", at most 249 characters.',
      type: 'string',
      minLength: 1,
      maxLength: 249,
      pattern: '^[A-Za-z0-9._-]+$',
    },
    partitions: { description: 'A partition count (partitions can only grow).', type: 'integer', minimum: 1, maximum: 1000000 },
    replicationFactor: { description: 'Copies of each partition (fixed at 3 on Redpanda Cloud Serverless).', type: 'integer', minimum: 1, maximum: 32767 },
    configKey: { description: 'A topic config name, e.g. retention.ms or cleanup.policy.', type: 'string', pattern: '^[a-z0-9][a-z0-9._-]*$' },
    configValue: {
      description: 'A config value (compared as a string); a list is joined with commas; null removes the override so the broker default applies.',
      type: ['string', 'number', 'boolean', 'array', 'null'],
      items: { type: ['string', 'number'] },
    },
    configs: {
      description: 'Topic configs, e.g. retention.ms: 604800000.',
      type: 'object',
      propertyNames: { $ref: '#/definitions/configKey' },
      additionalProperties: { $ref: '#/definitions/configValue' },
    },
    topic: {
      type: 'object',
      additionalProperties: false,
      required: ['name'],
      properties: {
        name: { $ref: '#/definitions/topicName' },
        state: { description: 'present (default) or absent: an absent topic is deleted only when the allow-delete input is true.', type: 'string', enum: ['present', 'absent'] },
        partitions: { $ref: '#/definitions/partitions' },
        replicationFactor: { $ref: '#/definitions/replicationFactor' },
        configs: { $ref: '#/definitions/configs' },
      },
    },
    state: { description: 'present (default) or absent: an absent entry is deleted only when the allow-delete input is true.', type: 'string', enum: ['present', 'absent'] },
    userName: {
      description: 'A SCRAM user name: letters, digits, ".", "_", "@" and "-".',
      type: 'string',
      minLength: 1,
      maxLength: 255,
      pattern: '^[A-Za-z0-9._@-]+$',
    },
    user: {
      type: 'object',
      additionalProperties: false,
      required: ['name'],
      properties: {
        name: { $ref: '#/definitions/userName' },
        state: { $ref: '#/definitions/state' },
        mechanism: { description: 'The SCRAM mechanism of the credential: SCRAM-SHA-256 (default) or SCRAM-SHA-512.', type: 'string', enum: [...SCRAM_MECHANISMS] },
        passwordFrom: {
          description: 'Where the password comes from (required for a present user): env:<VARIABLE>, an environment variable of the step, e.g. env:REDPANDA_APP_PASSWORD set from a secret.',
          type: 'string',
          pattern: '^env:[A-Za-z_][A-Za-z0-9_]*$',
        },
        rotate: { description: 'true: set the password again on every apply (Kafka cannot tell whether it changed); false (default): set it only when the user is created.', type: 'boolean' },
      },
    },
    acl: {
      type: 'object',
      additionalProperties: false,
      required: ['principal', 'resourceType', 'operations'],
      properties: {
        principal: { description: 'Who the ACL is for: User:<name> (a SASL user, e.g. User:todo-app), or User:* for every user.', type: 'string', pattern: '^User:(\\*|[A-Za-z0-9._@-]+)$' },
        host: { description: 'The client host the ACL applies to: * (default) for any.', type: 'string', minLength: 1 },
        resourceType: { description: 'What kind of resource the ACL is on.', type: 'string', enum: [...ACL_RESOURCE_TYPES] },
        resourceName: { description: 'The resource: a topic or group name, a transactional id, or a prefix of them with patternType: prefixed (the cluster resource needs none).', type: 'string', minLength: 1 },
        patternType: { description: 'literal (default): resourceName is the name; prefixed: every resource whose name starts with it.', type: 'string', enum: [...ACL_PATTERN_TYPES] },
        operations: {
          description: 'The operations allowed (or denied), e.g. [read, describe].',
          type: 'array',
          minItems: 1,
          uniqueItems: true,
          items: { type: 'string', enum: [...ACL_OPERATIONS] },
        },
        permission: { description: 'allow (default) or deny.', type: 'string', enum: [...ACL_PERMISSIONS] },
        state: { $ref: '#/definitions/state' },
      },
    },
  },
} as const;
