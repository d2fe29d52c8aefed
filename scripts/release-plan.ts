/**
 * The release's decisions, as pure functions (no git, no files): what a release tag is, whether a run
 * publishes or finds its work already done, which tags move, and the exact text of the release commit and
 * its tag objects (fixed identity and dates, so that building a release twice gives the same ids).
 * scripts/release.ts does the git work around them; test/unit/scripts/release-plan.test.ts covers them.
 */

/** The trailer that marks a release commit and names the commit its bundles were built from. */
export const TRAILER = 'Release-Of';

/** Who makes release commits and tags: always the same, wherever the release is built. */
export const RELEASE_IDENTITY = { name: 'github-actions[bot]', email: '41898282+github-actions[bot]@users.noreply.github.com' } as const;

/** How to release, for every message that refuses something else. */
export const HOW_TO_RELEASE =
  'The one supported way to release: push a version tag on a commit of main (git tag v1.4.2 <commit> && git push origin v1.4.2; a pre-release: v1.5.0-rc.1). release.yml then builds and tests the bundles, commits them on a release commit, moves the tags and creates the GitHub release.';

/** A refusal: the message says what is wrong, why, and what to do. Nothing has changed when it is thrown. */
export class ReleaseError extends Error {
  override name = 'ReleaseError';
}

export interface ReleaseTag {
  /** As given: v1.4.2, v1.5.0-rc.1. */
  tag: string;
  core: [number, number, number];
  /** Pre-release identifiers (rc, 1), empty for a stable release. */
  pre: string[];
  /** The major tag that follows the newest stable release: v1. */
  majorTag: string;
}

const NUMBER = '0|[1-9]\\d*';
const PRE_ID = `${NUMBER}|\\d*[A-Za-z-][0-9A-Za-z-]*`;
const RELEASE_TAG = new RegExp(`^v(${NUMBER})\\.(${NUMBER})\\.(${NUMBER})(?:-((?:${PRE_ID})(?:\\.(?:${PRE_ID}))*))?$`);

/** Parses a release tag, or undefined when it is not one (for reading other tags). */
export function readReleaseTag(tag: string): ReleaseTag | undefined {
  const m = RELEASE_TAG.exec(tag);
  if (!m) return undefined;
  return { tag, core: [Number(m[1]), Number(m[2]), Number(m[3])], pre: m[4] === undefined ? [] : m[4].split('.'), majorTag: `v${m[1]}` };
}

/** Parses the tag a release is for; refuses anything else, saying what a release tag looks like. */
export function parseReleaseTag(tag: string): ReleaseTag {
  const parsed = readReleaseTag(tag);
  if (parsed) return parsed;
  const drop = `Delete it (git push origin :refs/tags/${tag}) and push a release tag instead.`;
  if (/^v(0|[1-9]\d*)$/.test(tag)) {
    throw new ReleaseError(`"${tag}" is a major tag: release.yml moves it to the newest ${tag}.x.y release, it is never pushed by hand (nothing was released). ${HOW_TO_RELEASE}`);
  }
  if (/^v\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?\+/.test(tag)) {
    throw new ReleaseError(`"${tag}" has build metadata (+...), which release tags do not use: two tags that differ only there would be the same version. ${drop} ${HOW_TO_RELEASE}`);
  }
  throw new ReleaseError(
    `"${tag}" is not a release tag: a release tag is "v" and a semantic version, vMAJOR.MINOR.PATCH (v1.4.2) or with a pre-release suffix (v1.5.0-rc.1), numbers without leading zeros. ${drop} ${HOW_TO_RELEASE}`,
  );
}

function comparePre(a: string[], b: string[]): number {
  if (!a.length || !b.length) return (a.length ? -1 : 0) - (b.length ? -1 : 0); // a release ranks above its pre-releases
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i]!;
    const y = b[i]!;
    const xn = /^\d+$/.test(x);
    const yn = /^\d+$/.test(y);
    if (xn && yn && Number(x) !== Number(y)) return Number(x) - Number(y);
    if (xn !== yn) return xn ? -1 : 1; // numeric identifiers rank below alphanumeric ones
    if (!xn && x !== y) return x < y ? -1 : 1;
  }
  return a.length - b.length;
}

/** Semantic version precedence: negative, zero or positive. */
export function compareReleaseTags(a: ReleaseTag, b: ReleaseTag): number {
  return a.core[0] - b.core[0] || a.core[1] - b.core[1] || a.core[2] - b.core[2] || comparePre(a.pre, b.pre);
}

/**
 * Whether the major tag (v1) moves to this release: only for a stable release that is the newest stable
 * release of its major among the tags that exist (so a fix to an older minor, or a pre-release, leaves it).
 * `tags` are the names of the tags on the remote; other names are ignored.
 */
export function majorMoves(version: ReleaseTag, tags: string[]): { moves: boolean; newest: string } {
  if (version.pre.length) return { moves: false, newest: version.tag };
  let newest = version;
  for (const name of tags) {
    const t = readReleaseTag(name);
    if (t && !t.pre.length && t.core[0] === version.core[0] && compareReleaseTags(t, newest) > 0) newest = t;
  }
  return { moves: newest === version, newest: newest.tag };
}

/** Whether the GitHub release should be marked "Latest": a stable release newer than every other stable tag. */
export function isLatest(version: ReleaseTag, tags: string[]): boolean {
  if (version.pre.length) return false;
  return tags.every((name) => {
    const t = readReleaseTag(name);
    return !t || t.pre.length > 0 || compareReleaseTags(t, version) <= 0;
  });
}

/** What the remote's version tag points at: its commit and, for a release commit, the commit it releases. */
export interface TagTarget {
  commit: string;
  releaseOf?: string;
}

/**
 * What a run does, from the state of the version tag on the remote (read fresh, never from the checkout:
 * a re-run's checkout may have moved the local tag):
 * - `publish`: the tag is on the source commit: build the release commit and move the tags;
 * - `unchanged`: the tag already points at the release commit of the source (a re-run, or a run after one
 *   that succeeded): nothing moves.
 * Anything else (tag deleted, moved to another commit) is refused: this run's commit is not what the tag means.
 */
export function decide(input: { version: string; remote: string; source: string; sourceReleaseOf?: string; tag?: TagTarget }): 'publish' | 'unchanged' {
  const { version, remote, source, tag } = input;
  const where = remote === '.' ? 'this repository' : remote;
  if (!tag) {
    throw new ReleaseError(`the tag ${version} is not on ${where} (deleted after it was pushed?): nothing to release, nothing was changed. To release ${version}, push the tag again.`);
  }
  if (tag.releaseOf === source) return 'unchanged';
  if (tag.commit === source) {
    if (input.sourceReleaseOf) {
      throw new ReleaseError(
        `${version} points at ${source.slice(0, 12)}, which is itself a release commit (of ${input.sourceReleaseOf.slice(0, 12)}), not a commit of main: tag the commit on main. Nothing was changed. ${HOW_TO_RELEASE}`,
      );
    }
    return 'publish';
  }
  const now = tag.releaseOf ? `${tag.commit.slice(0, 12)} (the release commit of ${tag.releaseOf.slice(0, 12)})` : tag.commit.slice(0, 12);
  throw new ReleaseError(
    `${version} on ${where} points at ${now}, not at ${source.slice(0, 12)}, the commit this run was started for: the tag was moved after it was pushed. Nothing was changed; the run started by the tag's new push releases it.`,
  );
}

export function notOnMain(version: string, source: string, main: string, remote: string): ReleaseError {
  const ref = remote === '.' ? main : `${remote}/${main}`;
  return new ReleaseError(
    `${version} points at ${source.slice(0, 12)}, which is not on ${ref}: releases are made from main only. Nothing was changed. Delete the tag (git push origin :refs/tags/${version}), merge the change into main, then tag a commit of main and push the tag.`,
  );
}

/** The release commit's message: fixed, so the commit is the same each time it is built. */
export function releaseMessage(version: string, source: string): string {
  return `Release ${version}\n\nThe actions' bundles (actions/<name>/dist/), built from ${source}.\n\n${TRAILER}: ${source}\n`;
}

/** The value of the Release-Of trailer in a commit message, if it has one. */
export function releaseOf(message: string): string | undefined {
  const m = new RegExp(`^${TRAILER}: ([0-9a-f]{40,64})\\s*$`, 'm').exec(message);
  return m?.[1];
}

/** An annotated tag object's text for `git mktag`: fixed tagger and date (the source commit's). */
export function tagObjectText(input: { object: string; name: string; date: string; message: string }): string {
  return `object ${input.object}\ntype commit\ntag ${input.name}\ntagger ${RELEASE_IDENTITY.name} <${RELEASE_IDENTITY.email}> ${input.date}\n\n${input.message}\n`;
}

/** Environment for git commands that write the release commit: fixed identity, both dates the source's. */
export function releaseCommitEnv(date: string): Record<string, string> {
  return {
    GIT_AUTHOR_NAME: RELEASE_IDENTITY.name,
    GIT_AUTHOR_EMAIL: RELEASE_IDENTITY.email,
    GIT_AUTHOR_DATE: `@${date}`,
    GIT_COMMITTER_NAME: RELEASE_IDENTITY.name,
    GIT_COMMITTER_EMAIL: RELEASE_IDENTITY.email,
    GIT_COMMITTER_DATE: `@${date}`,
  };
}

/** The subjects file actions/attest-build-provenance reads (`subject-checksums`): sha256sum's format. */
export function checksumsFile(files: Array<{ path: string; sha256: string }>): string {
  return files.map((f) => `${f.sha256}  ${f.path}\n`).join('');
}
