import { commentMarker, pullRequestOfEvent, upsertComment, type CommentsApi, type IssueComment } from '../../../src/github/pr-comment.js';

/** An in-memory issue's comments, recording every call: the GitHub API as upsertComment sees it. */
class FakeComments implements CommentsApi {
  readonly calls: string[] = [];
  private nextId = 1000;
  constructor(readonly comments: IssueComment[] = [], private readonly fail?: Error) {}
  async list(issue: number, page: number): Promise<IssueComment[]> {
    this.calls.push(`list #${issue} page ${page}`);
    if (this.fail) throw this.fail;
    return this.comments.slice((page - 1) * 100, page * 100);
  }
  async create(issue: number, body: string): Promise<IssueComment> {
    this.calls.push(`create #${issue}`);
    const c = { id: this.nextId++, body, html_url: `https://github.example/pr/${issue}#c` };
    this.comments.push(c);
    return c;
  }
  async update(id: number, body: string): Promise<IssueComment> {
    this.calls.push(`update ${id}`);
    const c = this.comments.find((x) => x.id === id)!;
    c.body = body;
    return c;
  }
}

const marker = commentMarker('helm-diff:todo/apps');

describe('upsertComment', () => {
  it('creates the comment, marker first, then updates that same one on the next run', async () => {
    const api = new FakeComments([{ id: 1, body: 'LGTM' }]);
    const first = await upsertComment(api, 7, marker, 'diff one');
    expect(first.action).toBe('created');
    expect(api.comments.at(-1)!.body).toBe(`${marker}\ndiff one`);
    const second = await upsertComment(api, 7, marker, 'diff two');
    expect(second).toMatchObject({ action: 'updated', comment: { id: first.comment.id } });
    expect(api.comments.map((c) => c.body)).toEqual(['LGTM', `${marker}\ndiff two`]);
    expect(api.calls).toEqual(['list #7 page 1', 'create #7', 'list #7 page 1', `update ${first.comment.id}`]);
  });

  it('finds its comment on a later page, and leaves another release\'s alone', async () => {
    const other = commentMarker('helm-diff:todo/staging');
    const comments: IssueComment[] = Array.from({ length: 150 }, (_, i) => ({ id: i + 1, body: i === 3 ? `${other}\nx` : `c${i}` }));
    comments[120]!.body = `${marker}\nold`;
    const api = new FakeComments(comments);
    expect((await upsertComment(api, 7, marker, 'new')).comment.id).toBe(121);
    expect(api.calls).toEqual(['list #7 page 1', 'list #7 page 2', 'update 121']);
    expect(comments[3]!.body).toBe(`${other}\nx`);
  });

  it('a body that already starts with the marker is not marked twice; API errors reach the caller', async () => {
    const api = new FakeComments();
    await upsertComment(api, 1, marker, `${marker}\nbody`);
    expect(api.comments[0]!.body).toBe(`${marker}\nbody`);
    await expect(upsertComment(new FakeComments([], new Error('Resource not accessible by integration')), 1, marker, 'b')).rejects.toThrow('Resource not accessible by integration');
  });

  it('the marker is an HTML comment that cannot be closed early', () => {
    expect(commentMarker('helm-diff:a/b')).toBe('<!-- oke-dapr-actions:helm-diff:a/b -->');
    expect(commentMarker('x-->y')).not.toMatch(/-->y/);
  });
});

describe('pullRequestOfEvent', () => {
  const files: Record<string, string> = {
    '/pr.json': JSON.stringify({ pull_request: { number: 42 } }),
    '/review.json': JSON.stringify({ number: 9 }),
    '/push.json': JSON.stringify({ ref: 'refs/heads/main' }),
  };
  const read = (p: string): string => {
    if (!(p in files)) throw new Error(`ENOENT: ${p}`);
    return files[p]!;
  };
  const env = (event: string, path?: string): NodeJS.ProcessEnv => ({ GITHUB_EVENT_NAME: event, GITHUB_REPOSITORY: 'acme/app', ...(path ? { GITHUB_EVENT_PATH: path } : {}) });

  it.each<[string, NodeJS.ProcessEnv, ReturnType<typeof pullRequestOfEvent>]>([
    ['a pull_request event', env('pull_request', '/pr.json'), { owner: 'acme', repo: 'app', number: 42 }],
    ['pull_request_target', env('pull_request_target', '/pr.json'), { owner: 'acme', repo: 'app', number: 42 }],
    ['a number at the top of the payload', env('pull_request', '/review.json'), { owner: 'acme', repo: 'app', number: 9 }],
    ['a push', env('push', '/push.json'), { none: 'the event is "push", not a pull request' }],
    ['no event', {}, { none: 'the event is unknown, not a pull request' }],
    ['no number in the payload', env('pull_request', '/push.json'), { none: 'the event names no pull request number' }],
    ['no event file', env('pull_request'), { none: 'GITHUB_EVENT_PATH is not set' }],
    ['an unreadable event file', env('pull_request', '/missing.json'), { none: 'the event file /missing.json could not be read (ENOENT: /missing.json)' }],
    ['no repository', { GITHUB_EVENT_NAME: 'pull_request', GITHUB_EVENT_PATH: '/pr.json' }, { none: 'GITHUB_REPOSITORY is not set' }],
  ])('%s', (_name, e, expected) => expect(pullRequestOfEvent(e, read)).toEqual(expected));
});
