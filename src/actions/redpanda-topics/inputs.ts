import { ProblemList } from '../../core/errors.js';
import { checkPath, pathPolicy, type Inputs } from '../../core/inputs.js';
import type { Secrets } from '../../core/secrets.js';
import { parseKafkaConnection, type KafkaConnection } from '../../kafka/connection-inputs.js';
import type { TopicsFile } from './model.js';

/**
 * The action's inputs, parsed once into a typed object, the topics file included: every mistake in the inputs
 * and in the file is reported at once, before any connection.
 */
export interface TopicsInputs {
  /** Absolute path of the topics file. */
  file: string;
  /** The path as the user wrote it, for messages (file:line). */
  fileShown: string;
  /** The topics file, read and checked (schema, names, policy). */
  topics: TopicsFile;
  mode: 'plan' | 'apply';
  allowDelete: boolean;
  failOnDrift: boolean;
  connection: KafkaConnection;
}

export const MODES = ['plan', 'apply'] as const;

export async function parseTopicsInputs(inputs: Inputs, secrets: Secrets, env: NodeJS.ProcessEnv = process.env): Promise<TopicsInputs> {
  const problems = new ProblemList();
  // First of all, so the password is registered as a secret before anything else can fail or log.
  secrets.add(inputs.raw('password'));

  const allowOutside = problems.collect(() => inputs.boolean('allow-outside-workspace', false));
  // The shared path rules: relative to the workspace, a regular file, inside the workspace or RUNNER_TEMP unless allowed.
  const paths = pathPolicy(env, allowOutside === true);
  const fileShown = problems.collect(() => inputs.required('file', 'set `file` to the topics file, e.g. deploy/topics.yaml'));
  const file = fileShown === undefined ? undefined : problems.collect(() => checkPath('file', fileShown, paths, 'file'));
  const connection = problems.collect(() => parseKafkaConnection(inputs, secrets, { workspace: paths.workspace, paths, defaultClientId: 'redpanda-topics', defaultTimeout: '60s' }));
  const mode = problems.collect(() => inputs.oneOf('mode', MODES, 'plan'));
  const allowDelete = problems.collect(() => inputs.boolean('allow-delete', false));
  const failOnDrift = problems.collect(() => inputs.boolean('fail-on-drift', false));
  // The file's own problems (YAML, schema, names, policy) join the inputs' in the same report.
  // Its parser (YAML with positions, the JSON schema, the policy) loads only when there is a file to read: a bad
  // input elsewhere fails without it.
  let topics: TopicsFile | undefined;
  if (file !== undefined) {
    const { readTopicsFile } = await import('./file.js');
    topics = problems.collect(() => readTopicsFile(file, fileShown!, { env, secrets }));
  }
  problems.throwIfAny();
  return { file: file!, fileShown: fileShown!, topics: topics!, mode: mode!, allowDelete: allowDelete!, failOnDrift: failOnDrift!, connection: connection! };
}
