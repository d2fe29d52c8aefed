/**
 * npm run bench -- <name>: runs bench/<name>.ts, writes bench/results/<name>.json and prints a
 * one-line summary last. Targets live here, never in timed unit tests.
 */
import { mkdirSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface BenchOutcome {
  result: Record<string, unknown>;
  summary: string;
  /** False when a goal was missed: the command then exits 1 after writing the result. */
  ok: boolean;
}

const here = dirname(fileURLToPath(import.meta.url));

async function main(name: string | undefined): Promise<number> {
  const available = readdirSync(here).filter((f) => f.endsWith('.ts') && f !== 'run.ts').map((f) => f.slice(0, -3));
  if (!name || !available.includes(name)) {
    console.error(`usage: npm run bench -- <name>   (one of: ${available.join(', ')})`);
    return 2;
  }
  const mod = (await import(pathToFileURL(join(here, `${name}.ts`)).href)) as { run: () => Promise<BenchOutcome> };
  const outcome = await mod.run();
  const dir = join(here, 'results');
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.json`);
  writeFileSync(file, `${JSON.stringify(outcome.result, null, 2)}\n`);
  console.log(`${name}: ${outcome.summary} (${outcome.ok ? 'goal met' : 'GOAL MISSED'}; ${file})`);
  return outcome.ok ? 0 : 1;
}

main(process.argv[2]).then((code) => process.exit(code), (err: Error) => {
  console.error(`bench: ${err.stack ?? err.message}`);
  process.exit(1);
});
