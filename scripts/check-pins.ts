/**
 * The action pin check (npm test's lint stage; CI runs it as `npm test -- lint`): fails when a workflow
 * or an action.yml of this repository uses another repository's action (or a docker:// image) that is not
 * pinned by full commit SHA (by digest) with its version in a comment. The rule: scripts/check-pins-lib.ts.
 *
 * Usage: tsx scripts/check-pins.ts [root]   (default: this repository)
 * Exit 0 when every `uses:` is pinned; 1 with one line per problem (file:line:column, what, the fix), and
 * `::error` annotations under GitHub Actions.
 */
import { resolve } from 'node:path';
import { ConfigurationError } from '../src/core/errors.js';
import { root as repoRoot } from './actions.js';
import { checkRepository } from './check-pins-lib.js';

const root = resolve(process.argv[2] ?? repoRoot);
const report = checkRepository(root);
if (report.files.length === 0) {
  console.error(`check-pins: no workflow (.github/workflows/*.yml) or action.yml under ${root}: give the repository's root`);
  process.exit(1);
}
if (report.problems.length === 0) {
  console.log(`check-pins: ${report.remote} uses of other repositories in ${report.files.length} files, each pinned by commit SHA (or digest) with its version`);
  process.exit(0);
}
if (process.env.GITHUB_ACTIONS === 'true') {
  // One annotation per problem, on its line of the pull request's diff. Properties escape , : % and newlines.
  const prop = (s: string): string => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A').replace(/:/g, '%3A').replace(/,/g, '%2C');
  const data = (s: string): string => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
  for (const p of report.problems) {
    const loc = p.location;
    const at = loc ? `file=${prop(loc.file)}${loc.line ? `,line=${loc.line}` : ''}${loc.column ? `,col=${loc.column}` : ''},` : '';
    console.log(`::error ${at}title=Action not pinned::${data(`${p.input}: ${p.problem}. Fix: ${p.fix}`)}`);
  }
}
console.error(`check-pins: ${new ConfigurationError(report.problems).message}`);
console.error(`check-pins: ${report.problems.length} problem(s) in ${new Set(report.problems.map((p) => p.location?.file ?? p.input)).size} file(s) of ${report.files.length} checked`);
process.exit(1);
