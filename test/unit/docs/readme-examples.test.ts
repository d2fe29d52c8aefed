/**
 * The README examples run as pasted: valid YAML, this repository's real name (package.json's `repository`), no
 * placeholders, the actions/checkout major the workflows use, only inputs the actions have (and every required
 * one), and one name for each secret and variable: the names the deploy workflow uses.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { repoRoot } from '../../../stack/src/config.js';

const read = (path: string): string => readFileSync(join(repoRoot, path), 'utf8');
const REPO = /github\.com\/([\w.-]+\/[\w-]+?)(\.git)?$/.exec((JSON.parse(read('package.json')) as { repository: { url: string } }).repository.url)![1]!;
const ACTIONS = readdirSync(join(repoRoot, 'actions'));
const CHECKOUT_MAJOR = /actions\/checkout@[0-9a-f]{40} # (v\d+)\./.exec(read('.github/workflows/ci.yml'))![1]!;
/** Names an example may use although the deploy workflow does not (documented with the example). */
const EXAMPLE_ONLY = new Set(['secrets.HELM_SECRET_VALUES']);
const deployNames = new Set(read('.github/workflows/deploy.yml').match(/\b(secrets|vars)\.[A-Z0-9_]+/g));

interface Example {
  file: string;
  index: number;
  text: string;
}

const examples: Example[] = ['README.md', ...ACTIONS.map((a) => `actions/${a}/README.md`)].flatMap((file) =>
  [...read(file).matchAll(/```yaml\n([\s\S]*?)```/g)].map((m, index) => ({ file, index, text: m[1]! })),
);

type Step = { uses?: string; with?: Record<string, unknown> };
function steps(node: unknown): Step[] {
  if (Array.isArray(node)) return node.flatMap(steps);
  if (!node || typeof node !== 'object') return [];
  const o = node as Record<string, unknown>;
  return [...(typeof o.uses === 'string' ? [o as Step] : []), ...Object.values(o).flatMap(steps)];
}

const inputsOf = (action: string) => (load(read(`actions/${action}/action.yml`)) as { inputs: Record<string, { required?: boolean; default?: unknown }> }).inputs;

describe('README examples', () => {
  it('there are examples, and the repository name comes from package.json', () => {
    expect(examples.length).toBeGreaterThanOrEqual(8);
    expect(REPO).toMatch(/^[\w.-]+\/[\w-]+$/);
  });

  it.each(examples.map((e) => [`${e.file} #${e.index}`, e] as const))('%s parses, without placeholders', (_name, e) => {
    expect(() => load(e.text)).not.toThrow();
    expect(e.text).not.toMatch(/<org>|<repo>|\{ *\.\.\. *\}/);
  });

  it.each(examples.map((e) => [`${e.file} #${e.index}`, e] as const))('%s uses this repository, the workflows\' checkout major, and real inputs', (_name, e) => {
    for (const step of steps(load(e.text))) {
      const uses = step.uses!;
      if (uses.startsWith('actions/checkout@')) expect(uses).toBe(`actions/checkout@${CHECKOUT_MAJOR}`);
      const ours = /^([^@]+)\/actions\/([\w-]+)@(.+)$/.exec(uses);
      if (!ours) continue;
      expect([ours[1], ours[3]]).toEqual([REPO, 'v1']);
      expect(ACTIONS).toContain(ours[2]);
      const inputs = inputsOf(ours[2]!);
      const given = Object.keys(step.with ?? {});
      expect(given.filter((k) => !(k in inputs))).toEqual([]);
      const required = Object.entries(inputs).filter(([, i]) => i.required && i.default === undefined).map(([k]) => k);
      expect(required.filter((k) => !given.includes(k))).toEqual([]);
    }
  });

  it('use one name for each secret and variable: the deploy workflow\'s', () => {
    const used = new Set(examples.flatMap((e) => e.text.match(/\b(secrets|vars)\.[A-Z0-9_]+/g) ?? []));
    expect([...used].filter((n) => !deployNames.has(n) && !EXAMPLE_ONLY.has(n))).toEqual([]);
    expect(used.size).toBeGreaterThan(5);
  });

  it('the top README names this repository where it shows `uses:`', () => {
    const top = read('README.md');
    expect(top).not.toMatch(/<org>\/<repo>/);
    expect(top).toContain(`uses: ${REPO}/actions/`);
  });
});
