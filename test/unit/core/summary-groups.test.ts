import { SummaryBuilder } from '../../../src/core/summary.js';
import { Timings, withGroup } from '../../../src/core/groups.js';
import { RecordingLogger } from '../../support/recording-logger.js';

describe('SummaryBuilder', () => {
  it('renders headings, tables (escaping pipes and newlines) and timings', () => {
    const md = new SummaryBuilder()
      .heading('helm-deploy')
      .table(['Name', 'Value'], [['a|b', 'line1\nline2'], ['n', 3]])
      .timings([{ name: 'Install', ms: 1234, ok: true }])
      .toMarkdown();
    expect(md).toBe('## helm-deploy\n\n| Name | Value |\n| --- | --- |\n| a\\|b | line1<br>line2 |\n| n | 3 |\n\n| Step | Result | Time |\n| --- | --- | --- |\n| Install | ok | 1.2 s |\n');
  });

  it('fences code that itself contains a fence', () => {
    expect(new SummaryBuilder().code('```x```').toMarkdown()).toBe('~~~~\n```x```\n~~~~\n');
  });
});

describe('withGroup', () => {
  it('closes the group and records a failed step when fn throws', async () => {
    const log = new RecordingLogger();
    const timings = new Timings();
    let t = 0;
    await expect(withGroup(log, 'Apply', async () => { t += 50; throw new Error('boom'); }, timings, () => t)).rejects.toThrow('boom');
    expect(log.lines).toEqual(['::group::Apply', '::endgroup::']);
    expect(timings.steps).toEqual([{ name: 'Apply', ms: 50, ok: false }]);
  });

  it('returns the value and records success', async () => {
    const timings = new Timings();
    expect(await withGroup(new RecordingLogger(), 'Plan', async () => 42, timings)).toBe(42);
    expect(timings.steps[0]).toMatchObject({ name: 'Plan', ok: true });
  });
});
