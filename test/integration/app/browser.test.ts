import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startTodo, type Todo } from './todo.js';

/**
 * The web UI in real headless Chromium (Debian's, driven by playwright-core) against the app running on
 * the stack through its daprd sidecars: sign in with a dev token, add a task, complete it, and see a
 * reminder arrive.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

describe('todo web UI in headless Chromium', () => {
  let todo: Todo;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  const user = `ui-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: install it with stack/install-system.sh (apt-get install chromium)`);
    todo = await startTodo('todo-it');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, timeout: 60_000 });
    page = await browser.newPage();
    page.setDefaultTimeout(20_000);
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (msg) => {
      if (msg.type() === 'error') pageErrors.push(msg.text());
    });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await todo?.stop();
  });

  it('signs in with a dev token', async () => {
    await page.goto(todo.url);
    await page.locator('#dev-sign-in').waitFor({ state: 'visible' });
    await page.fill('#dev-user', user);
    await page.click('#dev-sign-in button[type=submit]');
    await page.locator('#who', { hasText: `Signed in as ${user}` }).waitFor();
    expect(await page.isVisible('#new-task')).toBe(true);
  });

  it('adds a task and completes it; the API agrees', async () => {
    const title = `Browser task ${randomUUID().slice(0, 6)}`;
    await page.fill('#title', title);
    await page.selectOption('#priority', 'high');
    await page.fill('#tags', 'web, Test');
    await page.click('#new-task button[type=submit]');
    const item = page.locator('li.task', { hasText: title });
    await item.waitFor();
    expect(await item.locator('.meta').textContent()).toContain('#web #test');

    await item.getByRole('button', { name: 'Complete' }).click();
    await page.locator('li.task.done', { hasText: title }).waitFor();

    const tasks = (await todo.call('GET', '/api/tasks', { token: todo.token(user) })).body.items as Array<{ title: string; done: boolean; priority: string; tags: string[] }>;
    expect(tasks.find((t) => t.title === title)).toMatchObject({ done: true, priority: 'high', tags: ['web', 'test'] });
  });

  it('shows a reminder when it arrives', async () => {
    const title = `Remind me ${randomUUID().slice(0, 6)}`;
    // Due in 33 s, reminded 30 s before: the worker records it about 3 s from now; the UI polls.
    const due = await page.evaluate(() => {
      const d = new Date(Date.now() + 33_000);
      d.setMinutes(d.getMinutes() - d.getTimezoneOffset());
      return d.toISOString().slice(0, 19);
    });
    await page.fill('#title', title);
    await page.fill('#due', due);
    await page.selectOption('#remind', '30s');
    await page.click('#new-task button[type=submit]');
    await page.locator('li.task', { hasText: title }).waitFor();
    await page.locator('#notifications li', { hasText: title }).waitFor({ timeout: 45_000 });
  });

  it('raised no script errors', () => {
    expect(pageErrors).toEqual([]);
  });
});
