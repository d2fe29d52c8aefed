import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { EOL, tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { keyValueBlock, randomHex, RunnerCommands, workflowCommand } from '../../../src/core/runner.js';
import { parseFileCommands } from '../../support/action-harness.js';

/** The runner's command protocol (what @actions/core writes), without @actions/core. */
describe('workflowCommand', () => {
  it.each([
    { name: 'add-mask', message: 'p%ss\r\nword', props: {}, line: '::add-mask::p%25ss%0D%0Aword' },
    { name: 'error', message: '2 problems:\n- a: bad', props: {}, line: '::error::2 problems:%0A- a: bad' },
    { name: 'endgroup', message: '', props: {}, line: '::endgroup::' },
    { name: 'set-output', message: 'v', props: { name: 'a:b,c%' }, line: '::set-output name=a%3Ab%2Cc%25::v' },
    { name: 'warning', message: 'w', props: { title: 'T', file: undefined, line: '' }, line: '::warning title=T::w' },
  ])('$name $message -> $line', ({ name, message, props, line }) => {
    expect(workflowCommand(name, message, props)).toBe(line);
  });
});

describe('keyValueBlock', () => {
  it('writes name<<delimiter, the value, the delimiter, with a fresh random delimiter each time', () => {
    const a = keyValueBlock('out', 'line 1\nline 2');
    const b = keyValueBlock('out', 'line 1\nline 2');
    expect(a).toMatch(new RegExp(`^out<<(ghadelimiter_[0-9a-f]{32})${EOL}line 1\\nline 2${EOL}\\1$`));
    expect(a).not.toBe(b);
  });

  it('refuses a name or value that holds the delimiter (it would end the block early)', () => {
    expect(() => keyValueBlock('out', 'x\nEND\ninjected=1', () => 'END')).toThrow(/contains the delimiter END/);
    expect(() => keyValueBlock('END', 'x', () => 'END')).toThrow(/contains the delimiter/);
  });

  it('randomHex: 32 hex digits, different each call', () => {
    const values = new Set(Array.from({ length: 20 }, randomHex));
    expect(values.size).toBe(20);
    for (const v of values) expect(v).toMatch(/^[0-9a-f]{32}$/);
  });
});

describe('RunnerCommands', () => {
  function runner(env: NodeJS.ProcessEnv = {}) {
    const out: string[] = [];
    const exitCodes: number[] = [];
    const commands = new RunnerCommands(env, (t) => out.push(t), (c) => exitCodes.push(c));
    return { commands, out, exitCodes, env };
  }

  function runnerFiles() {
    const dir = mkdtempSync(join(tmpdir(), 'runner-commands-'));
    const env: NodeJS.ProcessEnv = { PATH: '/usr/bin' };
    for (const name of ['OUTPUT', 'STATE', 'ENV', 'PATH']) {
      env[`GITHUB_${name}`] = join(dir, name.toLowerCase());
      writeFileSync(env[`GITHUB_${name}`]!, '');
    }
    return { ...runner(env), read: (name: string) => readFileSync(join(dir, name), 'utf8') };
  }

  it('logs: info as is, the rest as workflow commands, one line each', () => {
    const { commands, out } = runner();
    commands.info('plain %');
    commands.debug('d\ne');
    commands.warning('w');
    commands.error('e');
    commands.startGroup('G');
    commands.endGroup();
    commands.setSecret('s3cret');
    expect(out.join('')).toBe(['plain %', '::debug::d%0Ae', '::warning::w', '::error::e', '::group::G', '::endgroup::', '::add-mask::s3cret', ''].join(EOL));
  });

  it('setFailed: exit code 1 and an ::error:: line', () => {
    const { commands, out, exitCodes } = runner();
    commands.setFailed('bad\ninput');
    expect(exitCodes).toEqual([1]);
    expect(out).toEqual([`::error::bad%0Ainput${EOL}`]);
  });

  it('outputs, state and exports go to the runner files, in the format the runner (and our harness) parses', () => {
    const { commands, out, env, read } = runnerFiles();
    commands.setOutput('plan', '{"a":1}\nsecond line');
    commands.setOutput('changed', 'true');
    commands.saveState('cleanup-paths', '["/tmp/x"]');
    commands.exportVariable('KUBECONFIG', '/tmp/kc');
    commands.addPath('/opt/helm');
    expect(out).toEqual([]);
    expect(parseFileCommands(read('output'))).toEqual({ plan: '{"a":1}\nsecond line', changed: 'true' });
    expect(parseFileCommands(read('state'))).toEqual({ 'cleanup-paths': '["/tmp/x"]' });
    expect(parseFileCommands(read('env'))).toEqual({ KUBECONFIG: '/tmp/kc' });
    expect(read('path')).toBe(`/opt/helm${EOL}`);
    expect(env.KUBECONFIG).toBe('/tmp/kc');
    expect(env.PATH).toBe(`/opt/helm${delimiter}/usr/bin`);
  });

  it('without the runner files: the older workflow commands on stdout', () => {
    const { commands, out } = runner({ PATH: '/usr/bin' });
    commands.setOutput('a', 'x\ny');
    commands.saveState('s', 'v');
    commands.exportVariable('E', 'e');
    commands.addPath('/opt/t');
    expect(out.join('')).toBe([EOL + '::set-output name=a::x%0Ay', '::save-state name=s::v', '::set-env name=E::e', '::add-path::/opt/t', ''].join(EOL));
  });

  it('a runner file that does not exist is an error naming it', () => {
    const { commands } = runner({ GITHUB_OUTPUT: '/nonexistent/output' });
    expect(() => commands.setOutput('a', 'b')).toThrow('GITHUB_OUTPUT names /nonexistent/output, which does not exist');
  });

  it('getState reads STATE_<name>, empty when unset', () => {
    const { commands } = runner({ STATE_x: 'saved' });
    expect(commands.getState('x')).toBe('saved');
    expect(commands.getState('y')).toBe('');
  });
});
