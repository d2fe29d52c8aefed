import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDaprInstallInputs } from '../../../src/actions/dapr-install/inputs.js';
import { DAPR_HELM_REPO } from '../../../src/dapr/control-plane.js';
import { Inputs, objectInputs } from '../../../src/core/inputs.js';

const workspace = mkdtempSync(join(tmpdir(), 'dapr-inputs-'));
writeFileSync(join(workspace, 'dapr-1.18.2.tgz'), '');
const parse = (values: Record<string, string>) => parseDaprInstallInputs(new Inputs(objectInputs(values)), { GITHUB_WORKSPACE: workspace });

describe('dapr-install inputs: chart override and chart-repo', () => {
  it.each([
    ['a chart override alone', { chart: 'dapr-1.18.2.tgz' }],
    // What a runner passes when the step sets only `chart`: every unset input holds its action.yml default.
    ['a chart override with chart-repo at its action.yml default', { chart: 'dapr-1.18.2.tgz', 'chart-repo': DAPR_HELM_REPO }],
  ])('%s is a local chart', (_name, values) => {
    expect(parse(values).chart).toEqual({ kind: 'local', path: join(workspace, 'dapr-1.18.2.tgz') });
  });

  it('refuses a chart override together with another chart-repo', () => {
    expect(() => parse({ chart: 'dapr-1.18.2.tgz', 'chart-repo': 'https://charts.example.com/' })).toThrow(/chart-repo.*is set together with a chart override/s);
  });
});
