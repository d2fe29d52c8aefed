import { Admin } from '@platformatic/kafka';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runActionBundle, type ActionRun } from '../../support/action-harness.js';
import { stack } from '../../support/stack.js';

/** A fresh topic-name prefix per test: tests share one broker and never see each other's topics. */
export const newPrefix = (): string => `it-${randomUUID().slice(0, 8)}-`;

/** A repository checkout stand-in: topics files live here, and GITHUB_WORKSPACE points at it. */
export class Workspace {
  readonly dir = mkdtempSync(join(tmpdir(), 'topics-ws-'));

  write(name: string, lines: string[]): string {
    writeFileSync(join(this.dir, name), `${lines.join('\n')}\n`);
    return name;
  }
}

/** The stack's SCRAM listener, as a user would configure the action against a local plaintext listener. */
export function saslInputs(): Record<string, string> {
  const k = stack.kafka();
  return { brokers: k.sasl, 'sasl-mechanism': 'scram-sha-256', username: k.username, password: k.password, tls: 'false', timeout: '30s' };
}

/** Runs the built bundle (actions/redpanda-topics/dist/main) through its real contract, and checks that no run ever shows the password and every run masks it. */
export async function runTopicsAction(ws: Workspace, inputs: Record<string, string>): Promise<ActionRun> {
  const all = { ...saslInputs(), ...inputs };
  const run = await runActionBundle('redpanda-topics', 'main', all, { env: { GITHUB_WORKSPACE: ws.dir }, timeoutMs: 120_000 });
  if (all.password && run.everything().includes(all.password)) throw new Error('the password appeared in the action output');
  if (all.password && !run.masks().includes(all.password)) throw new Error('the password was not registered with the runner as a secret');
  return run;
}

/** The file header every test file uses: the prefix is the file's managed scope. */
export const header = (prefix: string, policy: string[] = []): string[] => ['apiVersion: redpanda-topics/v1', 'policy:', `  managedPrefixes: [${prefix}]`, ...policy.map((l) => `  ${l}`), 'topics:'];

/** Deletes every topic with the prefix (test clean-up), with our client, not the code under test. */
export async function deleteTopics(prefix: string): Promise<void> {
  const admin = new Admin({ clientId: 'it-cleanup', ...stack.kafkaClient() });
  try {
    const names = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    if (names.length) await admin.deleteTopics({ topics: names });
  } finally {
    await admin.close();
  }
}

/** A loopback port nothing listens on (taken, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export function plan(run: ActionRun): { changes: Array<{ kind: string; topic: string; status: string; key?: string }>; errors: Array<{ kind: string; topic: string; at?: { line: number } }>; drift: Array<{ kind: string; topic: string; key?: string }> } {
  return JSON.parse(run.outputs.plan ?? '{}');
}
