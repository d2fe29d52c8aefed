import {
  ReleaseError,
  checksumsFile,
  compareReleaseTags,
  decide,
  isLatest,
  majorMoves,
  notOnMain,
  parseReleaseTag,
  readReleaseTag,
  releaseCommitEnv,
  releaseMessage,
  releaseOf,
  tagObjectText,
} from '../../../scripts/release-plan.js';

/** The release's decisions (scripts/release-plan.ts); the git side is test/integration/workflows/release.test.ts. */
const S = 'a'.repeat(40);
const R = 'b'.repeat(40);
const OTHER = 'c'.repeat(40);

describe('parseReleaseTag', () => {
  it.each([
    ['v1.4.2', [1, 4, 2], [], 'v1'],
    ['v0.1.0', [0, 1, 0], [], 'v0'],
    ['v10.0.11', [10, 0, 11], [], 'v10'],
    ['v1.5.0-rc.1', [1, 5, 0], ['rc', '1'], 'v1'],
    ['v2.0.0-alpha-2.x.0', [2, 0, 0], ['alpha-2', 'x', '0'], 'v2'],
  ])('reads %s', (tag, core, pre, majorTag) => {
    expect(parseReleaseTag(tag)).toEqual({ tag, core, pre, majorTag });
  });

  it.each([
    ['v1', /"v1" is a major tag: release.yml moves it/],
    ['v12', /"v12" is a major tag/],
    ['v1.2.3+build.5', /has build metadata/],
    ['v1.0', /"v1.0" is not a release tag: .*vMAJOR.MINOR.PATCH/],
    ['1.2.3', /not a release tag/],
    ['v01.2.3', /not a release tag.*without leading zeros/],
    ['v1.2.3-rc.01', /not a release tag/],
    ['v1.2.3-', /not a release tag/],
    ['v1.2.3-rc..1', /not a release tag/],
    ['release-1', /not a release tag/],
  ])('refuses %s, saying what a release tag is and how to release', (tag, message) => {
    let err: unknown;
    try {
      parseReleaseTag(tag);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ReleaseError);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).toContain('push a version tag on a commit of main');
  });
});

describe('version order', () => {
  const order = ['v1.0.0-alpha', 'v1.0.0-alpha.1', 'v1.0.0-alpha.beta', 'v1.0.0-beta', 'v1.0.0-beta.2', 'v1.0.0-beta.11', 'v1.0.0-rc.1', 'v1.0.0', 'v1.0.1', 'v1.1.0', 'v1.10.0', 'v2.0.0'];
  it('follows semantic version precedence (semver.org, section 11)', () => {
    const shuffled = [...order].reverse();
    shuffled.sort((a, b) => compareReleaseTags(parseReleaseTag(a), parseReleaseTag(b)));
    expect(shuffled).toEqual(order);
    expect(compareReleaseTags(parseReleaseTag('v1.2.3'), parseReleaseTag('v1.2.3'))).toBe(0);
  });
});

describe('majorMoves and isLatest', () => {
  const tags = ['v1.0.0', 'v1.2.0', 'v1', 'v2.0.0-rc.1', 'not-a-release', 'v0.9.0'];
  it('moves the major tag to the newest stable release of its major only', () => {
    expect(majorMoves(parseReleaseTag('v1.3.0'), [...tags, 'v1.3.0'])).toEqual({ moves: true, newest: 'v1.3.0' });
    expect(majorMoves(parseReleaseTag('v1.2.0'), tags)).toEqual({ moves: true, newest: 'v1.2.0' });
    expect(majorMoves(parseReleaseTag('v1.1.1'), [...tags, 'v1.1.1'])).toEqual({ moves: false, newest: 'v1.2.0' });
    // A newer pre-release does not hold it back; a pre-release never moves it.
    expect(majorMoves(parseReleaseTag('v1.2.1'), [...tags, 'v1.3.0-rc.1'])).toEqual({ moves: true, newest: 'v1.2.1' });
    expect(majorMoves(parseReleaseTag('v1.3.0-rc.1'), [...tags, 'v1.3.0-rc.1']).moves).toBe(false);
    // Another major's releases do not count.
    expect(majorMoves(parseReleaseTag('v0.9.1'), [...tags, 'v0.9.1'])).toEqual({ moves: true, newest: 'v0.9.1' });
  });

  it('marks Latest a stable release newer than every other stable tag', () => {
    expect(isLatest(parseReleaseTag('v1.3.0'), tags)).toBe(true);
    expect(isLatest(parseReleaseTag('v1.1.1'), tags)).toBe(false);
    expect(isLatest(parseReleaseTag('v0.9.1'), tags)).toBe(false);
    expect(isLatest(parseReleaseTag('v2.0.0-rc.2'), tags)).toBe(false);
    expect(isLatest(parseReleaseTag('v2.0.0'), tags)).toBe(true);
  });
});

describe('decide', () => {
  const base = { version: 'v1.0.0', remote: 'origin', source: S };
  it('publishes when the tag is on the source commit', () => {
    expect(decide({ ...base, tag: { commit: S } })).toBe('publish');
  });

  it('changes nothing when the tag already points at the release commit of the source (a re-run)', () => {
    expect(decide({ ...base, tag: { commit: R, releaseOf: S } })).toBe('unchanged');
  });

  it.each([
    ['the tag was deleted', { ...base }, /the tag v1.0.0 is not on origin .*nothing was changed/],
    ['the tag moved to another commit', { ...base, tag: { commit: OTHER } }, /v1.0.0 on origin points at cccccccccccc, not at aaaaaaaaaaaa, the commit this run was started for: the tag was moved after it was pushed/],
    ['the tag is on the release commit of another commit', { ...base, tag: { commit: R, releaseOf: OTHER } }, /points at bbbbbbbbbbbb \(the release commit of cccccccccccc\), not at aaaaaaaaaaaa/],
    ['the tagged commit is itself a release commit', { ...base, sourceReleaseOf: OTHER, tag: { commit: S } }, /which is itself a release commit \(of cccccccccccc\), not a commit of main/],
  ])('refuses when %s', (_name, input, message) => {
    expect(() => decide(input)).toThrow(ReleaseError);
    expect(() => decide(input)).toThrow(message);
  });

  it('names the repository itself for the remote "."', () => {
    expect(() => decide({ ...base, remote: '.' })).toThrow(/is not on this repository/);
  });
});

describe('release commit and tag texts', () => {
  it('the message carries the Release-Of trailer, which releaseOf reads back', () => {
    const message = releaseMessage('v1.0.0', S);
    expect(message).toMatch(/^Release v1.0.0\n\n/);
    expect(releaseOf(message)).toBe(S);
    expect(releaseOf('Fix a bug\n\nMentions Release-Of: in prose\n')).toBeUndefined();
    expect(releaseOf(`Subject\n\nRelease-Of: ${S}\nSigned-off-by: x <x@y>\n`)).toBe(S);
  });

  it('fixes the identity and both dates (the source commit date) so builds agree', () => {
    expect(releaseCommitEnv('1700000000 +0100')).toEqual({
      GIT_AUTHOR_NAME: 'github-actions[bot]',
      GIT_AUTHOR_EMAIL: '41898282+github-actions[bot]@users.noreply.github.com',
      GIT_AUTHOR_DATE: '@1700000000 +0100',
      GIT_COMMITTER_NAME: 'github-actions[bot]',
      GIT_COMMITTER_EMAIL: '41898282+github-actions[bot]@users.noreply.github.com',
      GIT_COMMITTER_DATE: '@1700000000 +0100',
    });
    expect(tagObjectText({ object: R, name: 'v1', date: '1700000000 +0100', message: 'v1 -> v1.0.0' })).toBe(
      `object ${R}\ntype commit\ntag v1\ntagger github-actions[bot] <41898282+github-actions[bot]@users.noreply.github.com> 1700000000 +0100\n\nv1 -> v1.0.0\n`,
    );
  });

  it('writes attestation subjects in sha256sum format', () => {
    expect(checksumsFile([{ path: 'actions/a/dist/main/index.js', sha256: 'f'.repeat(64) }, { path: 'actions/a/dist/main/x.wasm', sha256: '0'.repeat(64) }])).toBe(
      `${'f'.repeat(64)}  actions/a/dist/main/index.js\n${'0'.repeat(64)}  actions/a/dist/main/x.wasm\n`,
    );
  });

  it('says how to get a tag that is not on main onto main', () => {
    expect(notOnMain('v1.0.0', S, 'main', 'origin').message).toMatch(/v1.0.0 points at aaaaaaaaaaaa, which is not on origin\/main: releases are made from main only. Nothing was changed. Delete the tag/);
    expect(readReleaseTag('v1.0')).toBeUndefined();
  });
});
