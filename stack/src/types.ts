/**
 * The local stack: real servers on 127.0.0.1 that integration tests, benchmarks and the
 * local deploy run against. Each server is a Component; the CLI (cli.ts) installs, starts,
 * reports and stops them. Components never hard-code paths: they get them from the context.
 */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
}

export interface SpawnOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Signal that asks for a prompt, clean shutdown (default SIGTERM; PostgreSQL wants SIGINT). */
  stopSignal?: NodeJS.Signals;
}

/** Starts detached processes, records their pids under <stateDir>/pids and logs under <stateDir>/logs. */
export interface ProcessManager {
  /** Spawn `command args` detached; stdout+stderr go to <stateDir>/logs/<name>.log. Returns the pid. */
  spawn(name: string, command: string, args: string[], options?: SpawnOptions): Promise<number>;
  /** True when a pid file for `name` exists and that pid is alive. */
  isRunning(name: string): boolean;
  /** SIGTERM the recorded pid (then SIGKILL after a grace period); removes the pid file. */
  stop(name: string, graceMs?: number): Promise<void>;
  /** Names of processes with pid files (running or not). */
  list(): string[];
  logFile(name: string): string;
}

export interface StackContext {
  /** Repository root (the clone). */
  root: string;
  /** All runtime state (data dirs, pids, logs, kubeconfig, endpoints.json): one directory. */
  stateDir: string;
  /** Binaries and downloaded artifacts, cached by version, outside the clone. */
  cacheDir: string;
  ports: Ports;
  procs: ProcessManager;
  log: Logger;
}

export interface Ports {
  kafkaPlaintext: number;
  kafkaSasl: number;
  kafkaController: number;
  /** The SASL listener for pods on the real node: bound on 127.0.0.1, advertised on the node network's host address (the node's forwarder carries it). */
  kafkaNode: number;
  etcdClient: number;
  etcdPeer: number;
  kubeApiserver: number;
  kubeControllerManager: number;
  kubeScheduler: number;
  kwok: number;
  /** Where kube-apiserver sends bearer tokens it does not know (TokenReview webhook): oke-login's tests serve it. */
  okeTokenWebhook: number;
  postgres: number;
  /** Dapr scheduler: gRPC (daprd's --scheduler-host-address), healthz, embedded etcd client and peer. */
  daprScheduler: number;
  daprSchedulerHealthz: number;
  daprSchedulerEtcdClient: number;
  daprSchedulerEtcdPeer: number;
  /** The stack's OCI registry (stack-registry, go-containerregistry's registry with Basic auth for apps/*), which the real node pulls from. */
  registry: number;
  /** The stack's Prometheus: listens on the node's address inside the node's network namespace (not on loopback). */
  prometheus: number;
}

export interface ComponentStatus {
  healthy: boolean;
  /** Named endpoints, e.g. { plaintext: "127.0.0.1:19092" } or { kubeconfig: "/abs/path" }. */
  endpoints: Record<string, string>;
  /** Extra facts a test needs (versions, usernames, passwords of local test users, binary paths). */
  details?: Record<string, unknown>;
  /** Why it is not healthy. */
  problem?: string;
}

export interface Component {
  name: string;
  /** Names of components that must be started before this one. */
  dependsOn?: string[];
  /** Build or unpack binaries once, cached by version under ctx.cacheDir. Idempotent. */
  install(ctx: StackContext): Promise<void>;
  /** Start processes (idempotent: no-op when already healthy) and wait until healthy or throw. */
  start(ctx: StackContext): Promise<void>;
  status(ctx: StackContext): Promise<ComponentStatus>;
  /** Process names (as given to procs.spawn) this component owns, stopped in reverse order. */
  processes(ctx: StackContext): string[];
  /**
   * Stops the component when more than its processes must go (namespaces, mounts, cgroups): replaces the
   * stop by pid files in `down`. Returns the names of the processes it stopped.
   */
  stop?(ctx: StackContext): Promise<string[]>;
}
