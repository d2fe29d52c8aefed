import { existsSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { ProblemList } from '../../core/errors.js';
import type { Inputs } from '../../core/inputs.js';
import type { Secrets } from '../../core/secrets.js';
import { parseKafkaConnection, type KafkaConnection } from '../../kafka/connection-inputs.js';

/** The action's inputs, parsed once into a typed object; every mistake is reported at once, before any work. */
export interface TopicsInputs {
  /** Absolute path of the topics file. */
  file: string;
  /** The path as the user wrote it, for messages (file:line). */
  fileShown: string;
  mode: 'plan' | 'apply';
  allowDelete: boolean;
  failOnDrift: boolean;
  connection: KafkaConnection;
}

export const MODES = ['plan', 'apply'] as const;

export function parseTopicsInputs(inputs: Inputs, secrets: Secrets, env: NodeJS.ProcessEnv = process.env): TopicsInputs {
  const problems = new ProblemList();
  const workspace = env.GITHUB_WORKSPACE || process.cwd();
  // First of all, so the password is registered as a secret before anything else can fail or log.
  secrets.add(inputs.raw('password'));

  const fileShown = problems.collect(() => inputs.required('file', 'set `file` to the topics file, e.g. deploy/topics.yaml'));
  let file: string | undefined;
  if (fileShown) {
    file = isAbsolute(fileShown) ? fileShown : resolve(workspace, fileShown);
    if (!existsSync(file)) problems.add({ input: 'file', problem: `${fileShown} does not exist (looked at ${file})`, fix: 'check the path (relative to the repository root) and that an earlier step checked out the repository (actions/checkout)' });
    else if (!statSync(file).isFile()) problems.add({ input: 'file', problem: `${fileShown} is not a file`, fix: 'point `file` at the YAML file itself' });
  }
  const connection = problems.collect(() => parseKafkaConnection(inputs, secrets, { workspace, defaultClientId: 'redpanda-topics', defaultTimeout: '60s' }));
  const mode = problems.collect(() => inputs.oneOf('mode', MODES, 'plan'));
  const allowDelete = problems.collect(() => inputs.boolean('allow-delete', false));
  const failOnDrift = problems.collect(() => inputs.boolean('fail-on-drift', false));
  problems.throwIfAny();
  return { file: file!, fileShown: fileShown!, mode: mode!, allowDelete: allowDelete!, failOnDrift: failOnDrift!, connection: connection! };
}
