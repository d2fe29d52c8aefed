import type { ConfigurationProblem } from '../../core/errors.js';
import { clip } from '../../core/inputs.js';
import type { DeclaredTopic, FilePosition, TopicsPolicy } from './model.js';
import { formatPath, type PositionedYaml } from '../../core/yaml.js';

/**
 * The file's own policy, enforced on what it declares: name pattern, partition range, required config
 * keys, managed prefixes. Pure and offline, so a violation fails in milliseconds, before any broker
 * is asked anything, with file and line.
 */
function compile(pattern: string): RegExp | string {
  try {
    // The pattern must match the whole name: anchors are added, so `task-.*` means ^(?:task-.*)$.
    return new RegExp(`^(?:${pattern})$`, 'u');
  } catch (err) {
    return (err as Error).message;
  }
}

/**
 * The file's entries, aligned with its topics list: each one's name (undefined when the entry has none the schema
 * accepts), whether it is marked absent, and the whole declared topic when the schema accepted the entry (the
 * partition and config rules need it; the name rules do not).
 */
export interface PolicyEntries {
  names: ReadonlyArray<string | undefined>;
  absent: readonly boolean[];
  topics: ReadonlyArray<DeclaredTopic | undefined>;
}

export function checkPolicy(doc: PositionedYaml, policy: TopicsPolicy, entries: PolicyEntries): ConfigurationProblem[] {
  const problems: ConfigurationProblem[] = [];
  const loc = (p: FilePosition): { file: string; line: number; column: number } => ({ file: doc.file, ...p });

  let pattern: RegExp | undefined;
  if (policy.namePattern !== undefined) {
    const compiled = compile(policy.namePattern);
    if (typeof compiled === 'string') {
      problems.push({ input: 'policy.namePattern', problem: `is not a valid regular expression: ${compiled}`, fix: 'write a JavaScript regular expression, e.g. ^[a-z][a-z0-9.-]*$', location: loc(doc.at(['policy', 'namePattern'])) });
    } else pattern = compiled;
  }
  const { minPartitions: min, maxPartitions: max } = policy;
  if (min !== undefined && max !== undefined && min > max) {
    problems.push({ input: 'policy.minPartitions', problem: `${min} is more than policy.maxPartitions ${max}`, fix: 'make minPartitions at most maxPartitions', location: loc(doc.at(['policy', 'minPartitions'])) });
  }

  entries.names.forEach((name, i) => {
    if (name === undefined) return;
    const t = entries.topics[i];
    const where = (p?: FilePosition): { file: string; line: number; column: number } => loc(p ?? t?.at ?? doc.at(['topics', i]));
    const violation = (field: string, problem: string, fix: string, at?: FilePosition): void =>
      void problems.push({ input: formatPath(['topics', i, ...(field ? [field] : [])]), problem: `policy violation: ${problem}`, fix, location: where(at) });
    const shown = clip(name, 80);

    if (policy.managedPrefixes.length && !policy.managedPrefixes.some((p) => name.startsWith(p))) {
      violation('name', `"${shown}" is outside the managed prefixes (${policy.managedPrefixes.map((p) => clip(p, 40)).join(', ')})`, 'rename the topic, or add its prefix to policy.managedPrefixes', doc.at(['topics', i, 'name']));
    }
    if (entries.absent[i]) return;
    if (pattern && !pattern.test(name)) {
      violation('name', `"${shown}" does not match policy.namePattern ${clip(policy.namePattern!, 80)}`, 'rename the topic to match the pattern', doc.at(['topics', i, 'name']));
    }
    if (!t) return;
    if (min !== undefined || max !== undefined) {
      if (t.partitions === undefined) {
        violation('partitions', `partitions is not declared, but the policy limits partitions`, 'declare partitions on the topic or in defaults');
      } else if (min !== undefined && t.partitions < min) {
        violation('partitions', `${t.partitions} partitions is fewer than policy.minPartitions ${min}`, `use at least ${min} partitions`, t.fieldAt.partitions);
      } else if (max !== undefined && t.partitions > max) {
        violation('partitions', `${t.partitions} partitions is more than policy.maxPartitions ${max}`, `use at most ${max} partitions`, t.fieldAt.partitions);
      }
    }
    for (const key of policy.requiredConfigs) {
      const value = t.configs.get(key);
      if (value === undefined || value === null) {
        violation('configs', `config "${key}" is required by policy.requiredConfigs but ${value === null ? 'is set to null' : 'is not declared'}`, `declare ${key} under the topic's configs or defaults.configs`, t.fieldAt.configs.get(key));
      }
    }
  });
  return problems;
}
