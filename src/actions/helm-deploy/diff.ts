/**
 * helm-deploy's diff step: what the upgrade would change (src/helm/diff*.ts), written where a reader finds it:
 * the log, the job summary (capped), the outputs (capped text, count, the full diff as a 0600 file), and on a
 * pull request one comment updated in place. Nothing here changes the cluster.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { tmpdir } from 'node:os';
import type { StepContext } from '../../core/action.js';
import { errorMessage } from '../../core/errors.js';
import { SafeRunner } from '../../core/exec.js';
import { PrivateDir } from '../../core/tempfiles.js';
import type { Logger } from '../../core/log.js';
import { commentMarker, octokitComments, pullRequestOfEvent, upsertComment, type CommentsApi, type PullRequestRef } from '../../github/pr-comment.js';
import type { UpgradeOptions } from '../../helm/args.js';
import { computeReleaseDiff, helmDiffSources, type DiffSources } from '../../helm/diff-source.js';
import { capText, COMMENT_BUDGET, countChanges, countsLine, OUTPUT_BUDGET, renderDiffMarkdown, renderDiffText, SUMMARY_BUDGET, type DiffCounts } from '../../helm/diff-render.js';
import type { ReleaseDiff } from '../../helm/diff.js';
import type { Helm } from '../../helm/helm.js';

export interface DiffSettings {
  commentOnPr: boolean;
  /** The token for the comment (github-token). */
  githubToken?: string;
}

/** What the diff needs from the step, besides Helm and the cluster: the secrets to redact, the environment. */
export interface DiffDeps {
  step: Pick<StepContext, 'secrets' | 'env'>;
  /** The kubeconfig helm runs with (the kubeconfig input; else $KUBECONFIG). */
  kubeconfig?: string;
  /** Test seams: the manifests and live objects, and the GitHub API. */
  sources?: DiffSources;
  comments?: (token: string, repo: Pick<PullRequestRef, 'owner' | 'repo'>) => Promise<CommentsApi>;
}

export interface DiffReport {
  counts: DiffCounts;
  /** Resources the upgrade would add, change or remove. */
  changes: number;
  /** The job summary's section (capped at SUMMARY_BUDGET). */
  markdown: string;
  /** The `diff` output: the text diff, capped at OUTPUT_BUDGET with a marker. */
  output: string;
  /** The full diff, a 0600 file under RUNNER_TEMP. */
  file: string;
  /** Whether the summary or the output had to be cut. */
  cut: boolean;
  /** What became of the pull-request comment, when one was asked for. */
  comment?: string;
}

const FILE_OUTPUT = 'the file named by the step output `diff-file`';

/** Where the workflow run is, for the comment (the file output lives on its runner). */
function runUrl(env: NodeJS.ProcessEnv): string | undefined {
  const { GITHUB_SERVER_URL: server, GITHUB_REPOSITORY: repo, GITHUB_RUN_ID: id } = env;
  return server && repo && id ? `${server}/${repo}/actions/runs/${id}` : undefined;
}

/**
 * Computes, renders and posts the diff of an upgrade. Throws when the diff cannot be computed (the caller
 * decides whether that fails the step); a comment that cannot be posted is a warning.
 */
export async function planDiff(upgrade: UpgradeOptions, settings: DiffSettings, helm: Helm, kc: KubeConfig, d: DiffDeps, log: Logger): Promise<DiffReport> {
  const { release, namespace } = upgrade;
  const env = { ...d.step.env, ...(d.kubeconfig ? { KUBECONFIG: d.kubeconfig } : {}) };
  // Helm's output as printed (the dry run's manifest holds Secret values, in memory only): no redaction of
  // stdout, which would turn a value into *** and report it changed. The log lines are redacted by the logger.
  const sources = d.sources ?? helmDiffSources({ helm: { path: helm.binary.path, major: helm.major, env }, runner: new SafeRunner(log), upgrade, kc });
  const { diff, resources } = await computeReleaseDiff(sources, namespace, (t) => d.step.secrets.redact(t));
  const title = `Diff of release ${release} in namespace ${namespace}`;
  const text = renderDiffText(diff, title);
  // Not the post step's to remove (no Secret value is in it): later steps may upload it; the runner empties RUNNER_TEMP.
  const file = new PrivateDir('helm-deploy-diff', d.step.env.RUNNER_TEMP || tmpdir()).write('diff.txt', text);
  const summary = renderDiffMarkdown(diff, { budget: SUMMARY_BUDGET, title, fullDiffAt: FILE_OUTPUT });
  const output = capText(text, OUTPUT_BUDGET, FILE_OUTPUT);
  const counts = countChanges(diff);
  log.info(`${resources} resource(s) compared: ${countsLine(counts)}`);
  log.info(output.text);
  for (const c of diff.changes.filter((x) => x.action === 'unknown')) log.warning(`diff: ${c.title} was not compared: ${c.note}`);
  const report: DiffReport = { counts, changes: counts.added + counts.changed + counts.removed, markdown: summary.markdown, output: output.text, file, cut: summary.cut || output.cut };
  if (settings.commentOnPr) report.comment = await comment(diff, upgrade, title, settings, d, log);
  return report;
}

async function comment(diff: ReleaseDiff, upgrade: UpgradeOptions, title: string, settings: DiffSettings, d: DiffDeps, log: Logger): Promise<string> {
  const pr = pullRequestOfEvent(d.step.env);
  if ('none' in pr) {
    log.info(`comment-on-pr: no comment, ${pr.none}`);
    return `not posted: ${pr.none}`;
  }
  const marker = commentMarker(`helm-diff:${upgrade.release}/${upgrade.namespace}`);
  const url = runUrl(d.step.env);
  const fullDiffAt = `the step output \`diff-file\` of ${url ? `[the workflow run](${url})` : 'the workflow run'} (a file on its runner: upload it as an artifact to keep it)`;
  const body = d.step.secrets.redact(renderDiffMarkdown(diff, { budget: COMMENT_BUDGET, title: `helm-deploy: ${title}`, fullDiffAt, prefix: `${marker}\n` }).markdown);
  try {
    if (!settings.githubToken) throw new Error('github-token is empty');
    const api = await (d.comments ?? octokitComments)(settings.githubToken, pr);
    const r = await upsertComment(api, pr.number, marker, body);
    const where = `pull request #${pr.number}${r.comment.html_url ? ` (${r.comment.html_url})` : ''}`;
    log.info(`comment-on-pr: ${r.action} the diff comment on ${where}`);
    return `${r.action} on ${where}`;
  } catch (err) {
    log.warning(`comment-on-pr: could not post the diff on pull request #${pr.number}: ${errorMessage(err)}. The job needs \`permissions: pull-requests: write\` (or issues: write) for github-token`);
    return `not posted: ${errorMessage(err)}`;
  }
}
