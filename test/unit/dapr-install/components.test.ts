import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { componentFiles, loadComponents } from '../../../src/actions/dapr-install/components.js';
import { compareVersions } from '../../../src/dapr/control-plane.js';
import type { PathPolicy } from '../../../src/core/inputs.js';
import { configError } from '../../support/config-error.js';

const fixtures = resolve(import.meta.dirname, '..', '..', 'fixtures', 'dapr-components');
const dir = mkdtempSync(join(tmpdir(), 'dapr-components-'));
const inWorkspace = (workspace: string, allowOutside = false): PathPolicy => ({ workspace, allowOutside, allowInput: 'allow-outside-workspace' });

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const problemsOf = (text: string, allowPlaintext = false): string => configError(() => loadComponents([file(`c${Math.random()}.yaml`, text)], 'todo', allowPlaintext)).message;

const component = (extra: string, metadata = ''): string => `apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: store\nspec:\n  type: state.postgresql\n  version: v1\n  metadata:\n${metadata || '    - name: tableName\n      value: tasks\n'}${extra}`;

describe('loadComponents', () => {
  it('reads a directory of multi-document files, in the components namespace', () => {
    const loaded = loadComponents(componentFiles([fixtures], inWorkspace('/')), 'todo', false);
    expect(loaded.map((l) => `${l.resource.kind}/${l.resource.metadata.name}@${l.line}`)).toEqual(['Component/taskpubsub@1', 'Subscription/task-events@25', 'Resiliency/todo-resiliency@1']);
    expect(loaded.every((l) => l.resource.metadata.namespace === 'todo')).toBe(true);
  });

  it.each([
    ['unknown kind', 'apiVersion: dapr.io/v1alpha1\nkind: Deployment\nmetadata:\n  name: x\nspec: {}\n', /:2:7: components \(kind\): kind "Deployment" is not a Dapr resource this action applies. Fix: use one of: Component, Subscription, Configuration, Resiliency/],
    ['wrong apiVersion', 'apiVersion: dapr.io/v9\nkind: Component\nmetadata:\n  name: x\nspec:\n  type: state.redis\n  version: v1\n', /:1:13: components \(apiVersion\): apiVersion "dapr.io\/v9" is not valid for Component/],
    ['missing spec.type', 'apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: x\nspec:\n  version: v1\n', /components \(spec.type\): spec.type is missing/],
    ['bad type', component('').replace('state.postgresql', 'postgres'), /:6:9: components \(spec.type\): spec.type "postgres" is not a Dapr component type/],
    ['bad name', component('').replace('name: store', 'name: Store_1'), /:4:9: components \(metadata.name\): name "Store_1" is not a valid resource name/],
    ['other namespace', component('').replace('name: store', 'name: store\n  namespace: prod'), /components \(metadata.namespace\): namespace "prod" differs from components-namespace "todo"/],
    ['bad scope', component('scopes:\n  - Todo_API\n'), /:12:5: components \(scopes\[0\]\): scope "Todo_API" is not a valid Dapr app id/],
    ['plaintext secret', component('', '    - name: connectionString\n      value: "host=db password=hunter2"\n'), /:10:14: components \(spec.metadata\[0\].value\): metadata "connectionString" holds a plaintext value that looks like a secret. Fix: store it in a secret store and reference it: secretKeyRef/],
    ['subscription without routes', 'apiVersion: dapr.io/v2alpha1\nkind: Subscription\nmetadata:\n  name: s\nspec:\n  pubsubname: p\n  topic: t\n', /a v2alpha1 Subscription needs spec.routes.default or spec.routes.rules/],
    ['YAML syntax', 'kind: Component\nmetadata: [\n', /:3:1: components: is not valid YAML/],
    ['an empty file', '', /c[\d.]+\.yaml: components: \S+ holds no Dapr resource \(it is empty, or comments only\)\. Fix: write the resources in it/],
    ['comments and --- only', '# moved to pubsub.yaml\n---\n# nothing here\n', /holds no Dapr resource \(it is empty, or comments only\)/],
  ])('%s', (_n, text, message) => expect(problemsOf(text)).toMatch(message));

  it('never repeats the plaintext value in the error', () => {
    expect(problemsOf(component('', '    - name: saslPassword\n      value: s3cr3t-value\n'))).not.toContain('s3cr3t-value');
  });

  it('accepts plaintext secret-looking values when allowed', () => {
    expect(loadComponents([file('ok.yaml', component('', '    - name: password\n      value: dev-only\n'))], 'todo', true)).toHaveLength(1);
  });

  it('reports duplicates and every problem of every file at once', () => {
    const a = file('a.yaml', component(''));
    const b = file('b.yaml', `${component('')}---\napiVersion: dapr.io/v1alpha1\nkind: Nope\nmetadata:\n  name: y\n`);
    let message = '';
    try {
      loadComponents([a, b], 'todo', false);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/^2 problems:/);
    expect(message).toContain(`${b}:1: components (Component/store): is declared twice (also at ${a}:1)`);
    expect(message).toContain('kind "Nope"');
  });

  it('names missing files and empty directories, all together', () => {
    mkdirSync(join(dir, 'empty'));
    expect(() => componentFiles(['nope.yaml'], inWorkspace(dir))).toThrow(/components: nope.yaml does not exist/);
    expect(() => componentFiles(['empty'], inWorkspace(dir))).toThrow(/directory empty has no .yaml or .yml files/);
    expect(() => componentFiles(['nope.yaml', 'empty'], inWorkspace(dir))).toThrow(/^2 problems:\n- components: nope.yaml does not exist[\s\S]*directory empty has no/);
  });

  it('keeps files inside the workspace, a symlink in a listed directory included, unless allowed', () => {
    const workspace = mkdtempSync(join(tmpdir(), 'dapr-components-ws-'));
    const outside = file('outside.yaml', component(''));
    mkdirSync(join(workspace, 'resources'));
    writeFileSync(join(workspace, 'resources', 'a.yaml'), component(''));
    symlinkSync(outside, join(workspace, 'resources', 'b.yaml'));
    expect(() => componentFiles([outside], inWorkspace(workspace))).toThrow(/components: \S+outside\.yaml is outside the workspace .*Fix: use a path inside the workspace, or set allow-outside-workspace: true/s);
    expect(() => componentFiles(['resources'], inWorkspace(workspace))).toThrow(/components: \S+b\.yaml is outside the workspace \(\S+b\.yaml -> \S+outside\.yaml/);
    expect(componentFiles(['resources', outside], inWorkspace(workspace, true))).toEqual([join(workspace, 'resources', 'a.yaml'), join(workspace, 'resources', 'b.yaml'), outside]);
  });

  it('names a scope that is not a string', () => {
    expect(problemsOf(component('scopes:\n  - 42\n'))).toMatch(/components \(scopes\[0\]\): scope 42 is not a string/);
  });
});

describe('compareVersions', () => {
  it.each([
    ['1.18.2', '1.18.2', 0],
    ['1.18.2', '1.17.9', 1],
    ['1.9.0', '1.10.0', -1],
    ['v1.16.0', '1.16.0', 0],
    ['1.17.0-rc.1', '1.17.0', -1],
  ])('%s vs %s', (a, b, sign) => expect(Math.sign(compareVersions(a, b))).toBe(sign));
});
