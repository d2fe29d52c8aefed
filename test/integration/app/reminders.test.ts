import { randomUUID } from 'node:crypto';
import { KafkaTail, produce } from '../../support/kafka-tail.js';
import { eventually, startTodo, type Todo } from './todo.js';

/**
 * Reminders end to end: a Dapr job in the stack's scheduler calls the API back when due, the API
 * publishes to `reminders`, the worker records a notification the API then shows. And the dead letters:
 * a reminder the worker cannot use goes to reminders-dlq.
 */
describe('todo reminders through real Dapr (Jobs API, scheduler, pub/sub, worker)', () => {
  let todo: Todo;
  const user = `it-${randomUUID().slice(0, 8)}`;
  let token: string;

  beforeAll(async () => {
    todo = await startTodo('todo-it');
    token = todo.token(user);
  }, 180_000);

  afterAll(async () => {
    await todo?.stop();
  });

  const notifications = async (): Promise<Array<{ taskId: string; title: string; remindAt: string; receivedAt: string }>> => (await todo.call('GET', '/api/notifications', { token })).body.items;

  it('a task due in 6 s with a 3 s reminder produces a notification about 3 s from now', async () => {
    const reminders = await KafkaTail.open('reminders');
    try {
      const t0 = Date.now();
      const dueAt = new Date(t0 + 6_000).toISOString();
      const { body: task, status } = await todo.call('POST', '/api/tasks', { token, body: { title: 'take the cake out', dueAt, remindBefore: '3s' } });
      expect(status).toBe(201);

      const event = await reminders.waitFor((m) => m.json?.subject === task.id, `reminder.due for task ${task.id}`, 30_000);
      expect(event.json).toMatchObject({ type: 'reminder.due', source: 'todo-it-api', data: { userId: user, taskId: task.id, title: 'take the cake out', dueAt: task.dueAt } });
      expect(event.key).toBe(user);
      // Fired by the scheduler at due - 3 s, not at creation.
      expect(event.receivedAt - t0).toBeGreaterThanOrEqual(2_000);

      const n = await eventually('the notification in GET /api/notifications', async () => (await notifications()).find((x) => x.taskId === task.id));
      expect(n).toMatchObject({ title: 'take the cake out', remindAt: new Date(Date.parse(task.dueAt) - 3_000).toISOString() });
    } finally {
      await reminders.close();
    }
  });

  it('completing a task cancels its reminder: no notification after the reminder time', async () => {
    const { body: task } = await todo.call('POST', '/api/tasks', { token, body: { title: 'cancelled', dueAt: new Date(Date.now() + 5_000).toISOString(), remindBefore: '2s' } });
    expect((await todo.call('POST', `/api/tasks/${task.id}/complete`, { token })).status).toBe(200);
    // A control task with the same timing shows the wait was long enough for a reminder to arrive.
    const { body: control } = await todo.call('POST', '/api/tasks', { token, body: { title: 'control', dueAt: new Date(Date.now() + 5_000).toISOString(), remindBefore: '2s' } });
    await eventually('the control task\'s notification', async () => (await notifications()).find((x) => x.taskId === control.id));
    await new Promise((r) => setTimeout(r, 1_000));
    expect((await notifications()).filter((x) => x.taskId === task.id)).toEqual([]);
  });

  it('sends a reminder the worker cannot use (no user) to the reminders-dlq dead-letter topic', async () => {
    const dlq = await KafkaTail.open('reminders-dlq');
    try {
      const id = `bad-${randomUUID()}`;
      const event = { specversion: '1.0', id, source: 'it', type: 'reminder.due', datacontenttype: 'application/json', time: new Date().toISOString(), data: { taskId: 'x' } };
      await produce('reminders', [{ key: id, value: JSON.stringify(event) }]);
      const dead = await dlq.waitFor((m) => m.json?.id === id, `the malformed reminder ${id}`, 30_000);
      expect(dead.json).toMatchObject({ id, type: 'reminder.due', data: { taskId: 'x' } });
    } finally {
      await dlq.close();
    }
  });
});
