import type { ActionEnv, StateKey } from '../../src/core/action.js';
import { Timings } from '../../src/core/groups.js';
import { Inputs, objectInputs } from '../../src/core/inputs.js';
import { setOutputs } from '../../src/core/outputs.js';
import { Secrets } from '../../src/core/secrets.js';
import type { SummaryBuilder } from '../../src/core/summary.js';
import { RecordingLogger } from './recording-logger.js';

/** An ActionEnv that records what an entry did: outputs, summary, state, exports, masks, log lines. */
export class FakeActionEnv implements ActionEnv {
  readonly log = new RecordingLogger();
  readonly masked: string[] = [];
  readonly secrets = new Secrets((v) => this.masked.push(v));
  readonly timings = new Timings();
  readonly outputs: Record<string, string> = {};
  readonly state: Record<string, string> = {};
  readonly exported: Record<string, string> = {};
  summary = '';
  readonly inputs: Inputs;

  constructor(
    inputs: Record<string, string> = {},
    readonly env: NodeJS.ProcessEnv = {},
  ) {
    this.inputs = new Inputs(objectInputs(inputs));
  }

  setOutputs: ActionEnv['setOutputs'] = (values) => setOutputs((n, v) => (this.outputs[n] = v), values, this.secrets.list());
  writeSummary = (s: SummaryBuilder): void => void (this.summary += this.secrets.redact(s.toMarkdown()));
  saveState = (key: StateKey, value: string): void => void (this.state[key] = value);
  getState = (key: StateKey): string => this.state[key] ?? '';
  exportVariable = (name: string, value: string): void => void (this.exported[name] = value);
  readonly paths: string[] = [];
  addPath = (dir: string): void => void this.paths.push(dir);
  /** The message of setFailed, when the entry failed the step. */
  failed: string | undefined;
  setFailed = (message: string): void => void (this.failed = message);

  /** Everything the entry made visible, for secret-leak assertions. */
  everything(): string {
    return [this.log.text(), this.summary, JSON.stringify(this.outputs), JSON.stringify(this.state), JSON.stringify(this.exported)].join('\n');
  }
}
