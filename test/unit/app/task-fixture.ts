import type { Task } from '../../../app/src/tasks/model.js';

/** An open task of alice's, created 2030-01-01, with no due date; `over` changes any field. */
export const makeTask = (over: Partial<Task> = {}): Task => ({
  id: '00000000-0000-4000-8000-000000000001',
  userId: 'alice',
  title: 't',
  description: '',
  priority: 'normal',
  tags: [],
  dueAt: null,
  remindBefore: null,
  done: false,
  createdAt: '2030-01-01T00:00:00.000Z',
  updatedAt: '2030-01-01T00:00:00.000Z',
  completedAt: null,
  revision: 1,
  ...over,
});
