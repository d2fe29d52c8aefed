/**
 * One comment per pull request and purpose, updated in place: found again by a hidden marker in its body.
 * The GitHub API sits behind a small interface (CommentsApi) so tests pass a fake; octokitComments() is the
 * real one, loaded only when a comment is wanted.
 */
import { readFileSync } from 'node:fs';

export interface IssueComment {
  id: number;
  body?: string | null;
  html_url?: string;
}

/** The three calls the upsert needs, on one repository. */
export interface CommentsApi {
  /** Comments of an issue or pull request, oldest first (one page of up to 100). */
  list(issue: number, page: number): Promise<IssueComment[]>;
  create(issue: number, body: string): Promise<IssueComment>;
  update(commentId: number, body: string): Promise<IssueComment>;
}

export interface PullRequestRef {
  owner: string;
  repo: string;
  number: number;
}

const PR_EVENTS = new Set(['pull_request', 'pull_request_target', 'pull_request_review', 'pull_request_review_comment']);

/**
 * The pull request of the workflow's event (GITHUB_EVENT_NAME, GITHUB_EVENT_PATH, GITHUB_REPOSITORY), or why
 * there is none (a push, a schedule, an event file that cannot be read).
 */
export function pullRequestOfEvent(env: NodeJS.ProcessEnv, readFile: (path: string) => string = (p) => readFileSync(p, 'utf8')): PullRequestRef | { none: string } {
  const event = env.GITHUB_EVENT_NAME;
  if (!event || !PR_EVENTS.has(event)) return { none: `the event is ${event ? `"${event}"` : 'unknown'}, not a pull request` };
  const [owner, repo] = (env.GITHUB_REPOSITORY ?? '').split('/');
  if (!owner || !repo) return { none: 'GITHUB_REPOSITORY is not set' };
  if (!env.GITHUB_EVENT_PATH) return { none: 'GITHUB_EVENT_PATH is not set' };
  let payload: { pull_request?: { number?: unknown }; number?: unknown };
  try {
    payload = JSON.parse(readFile(env.GITHUB_EVENT_PATH)) as typeof payload;
  } catch (err) {
    return { none: `the event file ${env.GITHUB_EVENT_PATH} could not be read (${(err as Error).message})` };
  }
  const number = payload.pull_request?.number ?? payload.number;
  if (typeof number !== 'number' || !Number.isInteger(number) || number < 1) return { none: 'the event names no pull request number' };
  return { owner, repo, number };
}

/** The hidden marker that finds the comment again; one per purpose (e.g. one per release and namespace). */
export function commentMarker(purpose: string): string {
  let text = purpose;
  while (text.includes('--')) text = text.replace(/--/g, '-'); // `--` could end the HTML comment early
  return `<!-- oke-dapr-actions:${text} -->`;
}

/** Pages read at most while looking for the marker (100 comments each). */
const MAX_PAGES = 30;

/**
 * Creates the comment, or updates the one that carries the marker (the body must start with it, so that the
 * next run finds it). Returns what it did and the comment.
 */
export async function upsertComment(api: CommentsApi, issue: number, marker: string, body: string): Promise<{ action: 'created' | 'updated'; comment: IssueComment }> {
  const text = body.startsWith(marker) ? body : `${marker}\n${body}`;
  for (let page = 1; page <= MAX_PAGES; page++) {
    const comments = await api.list(issue, page);
    const mine = comments.find((c) => typeof c.body === 'string' && c.body.startsWith(marker));
    if (mine) return { action: 'updated', comment: await api.update(mine.id, text) };
    if (comments.length < 100) break;
  }
  return { action: 'created', comment: await api.create(issue, text) };
}

/** The real CommentsApi: @actions/github's Octokit (GITHUB_API_URL honoured), loaded on first use. */
export async function octokitComments(token: string, ref: Pick<PullRequestRef, 'owner' | 'repo'>): Promise<CommentsApi> {
  const { getOctokit } = await import('@actions/github');
  const octokit = getOctokit(token);
  const { owner, repo } = ref;
  return {
    list: async (issue, page) => (await octokit.rest.issues.listComments({ owner, repo, issue_number: issue, per_page: 100, page })).data,
    create: async (issue, body) => (await octokit.rest.issues.createComment({ owner, repo, issue_number: issue, body })).data,
    update: async (commentId, body) => (await octokit.rest.issues.updateComment({ owner, repo, comment_id: commentId, body })).data,
  };
}
