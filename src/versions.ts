/**
 * Versions shared by the actions' defaults, the charts and the local stack: one number, one place.
 *
 * DAPR_VERSION is the Dapr release (runtime and Helm chart share it, without a leading "v").
 * The local stack builds daprd and the scheduler from stack/dapr/go.mod, whose `github.com/dapr/dapr`
 * require is v<DAPR_VERSION>; test/unit/versions.test.ts fails when the two drift apart.
 * v1.18.2 is the newest Dapr whose whole Go module graph the registries here serve (see stack/dapr/build.sh).
 */
export const DAPR_VERSION = '1.18.2';

/** The Dapr CLI that dapr-install can install (its releases track the runtime's minor version). */
export const DAPR_CLI_VERSION = '1.18.0';
