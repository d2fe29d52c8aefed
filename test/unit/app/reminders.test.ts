import { EventPublisher } from '../../../app/src/events/cloudevents.js';
import { memoryLogger } from '../../../app/src/log.js';
import { AppMetrics } from '../../../app/src/metrics.js';
import type { Task } from '../../../app/src/tasks/model.js';
import { jobName, onReminderJob, planReminder, reminderChanged } from '../../../app/src/tasks/reminders.js';
import { TaskRepository, taskKey } from '../../../app/src/tasks/repository.js';
import { FakeDapr } from './fake-dapr.js';
import { makeTask } from './task-fixture.js';

const NOW = Date.parse('2030-01-01T12:00:00.000Z');
const task = (over: Partial<Task> = {}): Task => makeTask({ title: 'pay rent', dueAt: '2030-01-01T14:00:00.000Z', remindBefore: '1h', ...over });

describe('planReminder', () => {
  it.each<[string, Partial<Task>, ReturnType<typeof planReminder>]>([
    ['due in 2 h, remind 1 h before', {}, { action: 'schedule', dueTime: '2030-01-01T13:00:00.000Z', remindAt: '2030-01-01T13:00:00.000Z' }],
    ['reminder time passed, task not yet due: remind now (+1 s)', { remindBefore: '3h' }, { action: 'schedule', dueTime: '2030-01-01T12:00:01.000Z', remindAt: '2030-01-01T11:00:00.000Z' }],
    ['task already due', { dueAt: '2030-01-01T11:00:00.000Z' }, { action: 'cancel' }],
    ['done', { done: true }, { action: 'cancel' }],
    ['no reminder', { remindBefore: null }, { action: 'cancel' }],
    ['no due date', { dueAt: null, remindBefore: null }, { action: 'cancel' }],
  ])('%s', (_n, over, expected) => expect(planReminder(task(over), NOW)).toEqual(expected));
});

describe('reminderChanged', () => {
  it.each<[string, Task | undefined, Task, boolean]>([
    ['a new task with a reminder', undefined, task(), true],
    ['a new task without one (no job call at all)', undefined, task({ remindBefore: null }), false],
    ['title only', task(), task({ title: 'x' }), false],
    ['due date moved', task(), task({ dueAt: '2030-01-02T00:00:00.000Z' }), true],
    ['completed', task(), task({ done: true }), true],
    ['completed, never had a reminder (no scheduler call)', task({ remindBefore: null }), task({ remindBefore: null, done: true }), false],
    ['completed, no due date either', task({ dueAt: null, remindBefore: null }), task({ dueAt: null, remindBefore: null, done: true }), false],
    ['a due date set, still no remindBefore', task({ dueAt: null, remindBefore: null }), task({ remindBefore: null }), false],
    ['the reminder removed (its job is deleted)', task(), task({ remindBefore: null }), true],
    ['a reminder added', task({ remindBefore: null }), task(), true],
  ])('%s -> %s', (_n, before, after, expected) => expect(reminderChanged(before, after)).toBe(expected));
});

describe('onReminderJob (the job callback)', () => {
  const setup = () => {
    const dapr = new FakeDapr();
    const log = memoryLogger();
    const metrics = new AppMetrics();
    const deps = { repo: new TaskRepository(dapr, { listMaxTasks: 10 }), publisher: new EventPublisher(dapr, metrics, log), metrics, log, source: 'todo-api' };
    return { dapr, deps, metrics };
  };
  const data = (over: Record<string, unknown> = {}) => ({ userId: 'alice', taskId: task().id, remindAt: '2030-01-01T13:00:00.000Z', ...over });

  it('publishes reminder.due to reminders, keyed by user, when the task still wants it', async () => {
    const { dapr, deps, metrics } = setup();
    dapr.put(taskKey('alice', task().id), task());
    expect(await onReminderJob(jobName(task().id), data(), deps)).toBe('published');
    expect(dapr.published).toHaveLength(1);
    expect(dapr.published[0]).toMatchObject({
      topic: 'reminders',
      partitionKey: 'alice',
      event: { type: 'reminder.due', source: 'todo-api', subject: task().id, data: { userId: 'alice', taskId: task().id, title: 'pay rent', dueAt: task().dueAt, remindAt: '2030-01-01T13:00:00.000Z' } },
    });
    expect(metrics.jobsTriggered.get({ outcome: 'published' })).toBe(1);
  });

  it.each<[string, Partial<Task> | undefined, Record<string, unknown>]>([
    ['the task is gone', undefined, {}],
    ['the task is done', { done: true }, {}],
    ['the reminder moved (an edit replaced the job)', { remindBefore: '30m' }, {}],
  ])('publishes nothing when %s', async (_n, stored, over) => {
    const { dapr, deps, metrics } = setup();
    if (stored) dapr.put(taskKey('alice', task().id), task(stored));
    expect(await onReminderJob(jobName(task().id), data(over), deps)).toBe('stale');
    expect(dapr.published).toEqual([]);
    expect(metrics.jobsTriggered.get({ outcome: 'stale' })).toBe(1);
  });

  it.each([
    ['a job of another kind', 'cleanup-1', data()],
    ['data without a user', jobName('x'), { taskId: 'x', remindAt: 'y' }],
  ])('ignores %s', async (_n, name, body) => {
    const { dapr, deps } = setup();
    expect(await onReminderJob(name, body, deps)).toBe('invalid');
    expect(dapr.published).toEqual([]);
  });

  it('throws when the publish fails, so Dapr retries the job', async () => {
    const { dapr, deps, metrics } = setup();
    dapr.put(taskKey('alice', task().id), task());
    dapr.failNext.set('publish', new Error('broker down'));
    await expect(onReminderJob(jobName(task().id), data(), deps)).rejects.toThrow('broker down');
    expect(metrics.publishFailures.get({ topic: 'reminders' })).toBe(1);
  });
});
