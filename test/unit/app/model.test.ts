import { ValidationError } from '../../../app/src/http/errors.js';
import { applyFilters, parseFilters } from '../../../app/src/tasks/filters.js';
import { durationSeconds, parseCreate, parsePatch, remindAtMs, type Task } from '../../../app/src/tasks/model.js';
import { makeTask } from './task-fixture.js';

const task = makeTask;

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ValidationError) return err.problems.map((p) => `${p.field}: ${p.problem}`);
    throw err;
  }
  throw new Error('expected a ValidationError');
}

describe('parseCreate', () => {
  it('fills defaults and normalises (trimmed title, lower-case unique tags, UTC due date)', () => {
    expect(parseCreate({ title: '  Buy milk ', tags: ['Home', 'home', 'errands'], dueAt: '2030-01-31T18:00:00+01:00', remindBefore: '15m' })).toEqual({
      title: 'Buy milk',
      description: '',
      priority: 'normal',
      tags: ['home', 'errands'],
      dueAt: '2030-01-31T17:00:00.000Z',
      remindBefore: '15m',
      done: false,
    });
  });

  it.each<[string, unknown, RegExp]>([
    ['no body', undefined, /body: must be a JSON object/],
    ['an array', [], /body: must be a JSON object/],
    ['no title', {}, /title: required/],
    ['blank title', { title: '   ' }, /title: required/],
    ['long title', { title: 'x'.repeat(201) }, /title: at most 200/],
    ['bad priority', { title: 't', priority: 'urgent' }, /priority: must be one of low, normal, high/],
    ['tags not an array', { title: 't', tags: 'a,b' }, /tags: must be an array/],
    ['bad tag', { title: 't', tags: ['no spaces'] }, /"no spaces" is not a tag/],
    ['too many tags', { title: 't', tags: Array.from({ length: 11 }, (_, i) => `t${i}`) }, /at most 10 tags/],
    ['date without zone', { title: 't', dueAt: '2030-01-31T17:00:00' }, /dueAt: must be an ISO 8601 date-time with a time zone/],
    ['date only', { title: 't', dueAt: '2030-01-31' }, /dueAt: must be/],
    ['impossible date', { title: 't', dueAt: '2030-02-31T10:00:00Z' }, /dueAt/],
    ['bad duration', { title: 't', dueAt: '2030-01-31T17:00:00Z', remindBefore: '15 minutes' }, /remindBefore: must be a duration/],
    ['duration too long', { title: 't', dueAt: '2030-01-31T17:00:00Z', remindBefore: '31d' }, /at most 30 days/],
    ['reminder without due date', { title: 't', remindBefore: '1h' }, /remindBefore: needs dueAt/],
    ['unknown field', { title: 't', owner: 'bob' }, /owner: unknown field/],
    ['done not boolean', { title: 't', done: 'yes' }, /done: must be true or false/],
  ])('refuses %s', (_name, body, message) => {
    expect(problems(() => parseCreate(body)).join('\n')).toMatch(message);
  });

  it('reports every problem at once', () => {
    expect(problems(() => parseCreate({ title: '', priority: 'x', tags: 3 }))).toHaveLength(3);
  });
});

describe('parsePatch', () => {
  it('keeps only the fields given', () => {
    expect(parsePatch({ priority: 'high', description: null }, task())).toEqual({ priority: 'high', description: '' });
  });

  it.each<[string, unknown, Partial<Task>, RegExp]>([
    ['an empty patch', {}, {}, /change at least one of/],
    ['a reminder on a task without due date', { remindBefore: '1h' }, {}, /remindBefore: needs dueAt/],
    ['clearing the due date of a task with a reminder', { dueAt: null }, { dueAt: '2030-01-01T00:00:00.000Z', remindBefore: '1h' }, /needs dueAt/],
    ['an unknown field', { id: 'x' }, {}, /id: unknown field/],
  ])('refuses %s', (_name, body, current, message) => {
    expect(problems(() => parsePatch(body, task(current))).join('\n')).toMatch(message);
  });

  it('accepts a reminder when the stored task has a due date', () => {
    expect(parsePatch({ remindBefore: '2h' }, task({ dueAt: '2030-01-01T00:00:00.000Z' }))).toEqual({ remindBefore: '2h' });
  });
});

describe('durations and reminder times', () => {
  it.each([
    ['30s', 30],
    ['15m', 900],
    ['2h', 7200],
    ['1d', 86400],
    ['1w', undefined],
    ['m', undefined],
    ['-5m', undefined],
  ])('durationSeconds(%s) = %s', (v, s) => expect(durationSeconds(v)).toBe(s));

  it('remindAtMs is the due date minus remind-before, undefined without either', () => {
    expect(remindAtMs({ dueAt: '2030-01-01T01:00:00.000Z', remindBefore: '1h' })).toBe(Date.parse('2030-01-01T00:00:00.000Z'));
    expect(remindAtMs({ dueAt: null, remindBefore: '1h' })).toBeUndefined();
    expect(remindAtMs({ dueAt: '2030-01-01T01:00:00.000Z', remindBefore: null })).toBeUndefined();
  });
});

describe('filters', () => {
  it.each<[string, string, RegExp]>([
    ['unknown filter', 'owner=bob', /owner: unknown filter/],
    ['bad status', 'status=later', /status: must be open, done or all/],
    ['bad priority', 'priority=urgent', /priority: must be one of/],
    ['bad date', 'dueBefore=soon', /dueBefore: must be an ISO 8601/],
    ['limit too big', 'limit=501', /limit: must be an integer from 1 to 500/],
    ['repeated', 'tag=a&tag=b', /tag: give it once/],
  ])('refuse %s', (_n, query, message) => {
    expect(problems(() => parseFilters(new URLSearchParams(query))).join('\n')).toMatch(message);
  });

  const tasks = [
    task({ id: 'a', title: 'open, due late', dueAt: '2030-03-01T00:00:00.000Z', tags: ['home'] }),
    task({ id: 'b', title: 'open, due soon', dueAt: '2030-01-02T00:00:00.000Z', priority: 'high' }),
    task({ id: 'c', title: 'open, no due date, newer', createdAt: '2030-01-05T00:00:00.000Z' }),
    task({ id: 'd', title: 'open, no due date, older' }),
    task({ id: 'e', title: 'done', done: true, dueAt: '2029-12-01T00:00:00.000Z', tags: ['home'] }),
  ];
  const ids = (q: string): string[] => applyFilters(tasks, parseFilters(new URLSearchParams(q))).items.map((t) => t.id);

  it.each([
    ['', ['b', 'a', 'c', 'd', 'e']],
    ['status=open', ['b', 'a', 'c', 'd']],
    ['status=done', ['e']],
    ['tag=HOME', ['a', 'e']],
    ['priority=high', ['b']],
    ['dueBefore=2030-02-01', ['b', 'e']],
    ['status=open&dueBefore=2030-02-01T00:00:00Z', ['b']],
    ['limit=2', ['b', 'a']],
  ])('?%s selects %j (open first, then by due date, then newest)', (q, expected) => expect(ids(q)).toEqual(expected));

  it('reports the total before the limit', () => {
    expect(applyFilters(tasks, parseFilters(new URLSearchParams('limit=1'))).total).toBe(5);
  });
});
