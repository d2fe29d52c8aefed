import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { load } from 'js-yaml';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export interface ActionEntry {
  name: string;
  /** actions/<name> */
  dir: string;
  /**
   * Entry kind -> TypeScript source, e.g. main -> src/actions/<name>/main.ts. Kind `bin` is a helper
   * program the action ships (src/actions/<name>/bin/<tool>.ts -> dist/<tool>/index.js), e.g. a
   * credential helper that a kubeconfig runs; `tool` names it.
   */
  entries: Array<{ kind: 'main' | 'post' | 'bin'; tool?: string; source: string; bundle: string }>;
  /** Names of the inputs action.yml marks required. */
  required: string[];
}

interface ActionYaml {
  inputs?: Record<string, { required?: boolean }>;
  runs?: { using?: string; main?: string; post?: string };
}

/** Every action folder with an action.yml; its entries follow from runs.main / runs.post. */
export function discoverActions(): ActionEntry[] {
  const base = join(root, 'actions');
  if (!existsSync(base)) return [];
  return readdirSync(base, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(base, d.name, 'action.yml')))
    .map((d) => {
      const dir = join(base, d.name);
      const yml = load(readFileSync(join(dir, 'action.yml'), 'utf8')) as ActionYaml;
      if (yml.runs?.using !== 'node24') throw new Error(`actions/${d.name}/action.yml: runs.using must be node24`);
      const entries: ActionEntry['entries'] = [];
      for (const kind of ['main', 'post'] as const) {
        const target = yml.runs?.[kind];
        if (!target) continue;
        if (target !== `dist/${kind}/index.js`) throw new Error(`actions/${d.name}/action.yml: runs.${kind} must be dist/${kind}/index.js`);
        const source = join(root, 'src', 'actions', d.name, `${kind}.ts`);
        if (!existsSync(source)) throw new Error(`actions/${d.name}: runs.${kind} needs ${source}`);
        entries.push({ kind, source, bundle: join(dir, target) });
      }
      const bin = join(root, 'src', 'actions', d.name, 'bin');
      for (const file of existsSync(bin) ? readdirSync(bin).filter((f) => f.endsWith('.ts')).sort() : []) {
        const tool = file.slice(0, -3);
        if (tool === 'main' || tool === 'post') throw new Error(`src/actions/${d.name}/bin/${file}: a helper may not be named main or post`);
        entries.push({ kind: 'bin', tool, source: join(bin, file), bundle: join(dir, 'dist', tool, 'index.js') });
      }
      const required = Object.entries(yml.inputs ?? {}).filter(([, i]) => i.required === true).map(([n]) => n);
      return { name: d.name, dir, entries, required };
    });
}
