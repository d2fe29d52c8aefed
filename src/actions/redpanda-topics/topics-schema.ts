/**
 * The topics file's JSON Schema. actions/redpanda-topics/topics.schema.json is this object, written out
 * for editors (a unit test keeps the two identical); the action validates files against it with
 * json-schema.ts, which reports every problem with file, line and column.
 */
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
  },
} as const;
