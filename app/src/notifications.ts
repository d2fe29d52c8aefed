/**
 * Notifications: what the worker records when a reminder arrives, and what the API and UI show. One
 * state item per user (`notifications:<user>`), newest first, the last 50 kept. Recording is idempotent
 * (keyed by the reminder event's id: Dapr delivers at least once) and retried when another delivery for
 * the same user wrote first.
 */
import type { ReminderData } from './contract.js';
import { ConcurrencyError, type DaprPort } from './dapr/port.js';
import { userKey } from './tasks/repository.js';

export interface Notification {
  /** The reminder event's id. */
  id: string;
  taskId: string;
  title: string;
  dueAt: string;
  remindAt: string;
  /** When the worker recorded it. */
  receivedAt: string;
}

interface NotificationList {
  items: Notification[];
}

export const MAX_NOTIFICATIONS = 50;
export const notificationsKey = (userId: string): string => `notifications:${userKey(userId)}`;

export function isReminderData(d: unknown): d is ReminderData {
  const o = d as Record<string, unknown> | null;
  return (
    !!o &&
    typeof o === 'object' &&
    typeof o.userId === 'string' &&
    o.userId.length > 0 &&
    typeof o.taskId === 'string' &&
    typeof o.title === 'string' &&
    typeof o.dueAt === 'string' &&
    typeof o.remindAt === 'string'
  );
}

export class Notifications {
  constructor(
    private readonly dapr: Pick<DaprPort, 'getState' | 'transact'>,
    private readonly attempts = 8,
  ) {}

  async list(userId: string): Promise<Notification[]> {
    return (await this.dapr.getState<NotificationList>(notificationsKey(userId)))?.value.items ?? [];
  }

  /** Records a reminder; returns false when this event id was already recorded. */
  async record(eventId: string, reminder: ReminderData, receivedAt: Date): Promise<boolean> {
    const key = notificationsKey(reminder.userId);
    const entry: Notification = { id: eventId, taskId: reminder.taskId, title: reminder.title, dueAt: reminder.dueAt, remindAt: reminder.remindAt, receivedAt: receivedAt.toISOString() };
    for (let i = 1; ; i++) {
      const current = await this.dapr.getState<NotificationList>(key);
      const items = current?.value.items ?? [];
      if (items.some((n) => n.id === eventId)) return false;
      try {
        await this.dapr.transact([{ op: 'upsert', key, value: { items: [entry, ...items].slice(0, MAX_NOTIFICATIONS) }, etag: current?.etag }]);
        return true;
      } catch (err) {
        if (!(err instanceof ConcurrencyError) || i >= this.attempts) throw err;
        await new Promise((r) => setTimeout(r, Math.round(Math.random() * 10 * i)));
      }
    }
  }
}
