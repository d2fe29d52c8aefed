// The todo UI: plain browser JavaScript against the app's own API (same origin, bearer token in
// sessionStorage). No build step, no framework, no inline code (the CSP forbids it).
const $ = (id) => document.getElementById(id);
const TOKEN_KEY = 'todo.token';

function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

function showError(message) {
  const el = $('error');
  el.textContent = message;
  el.hidden = !message;
}

async function api(method, path, body, extraHeaders = {}) {
  const headers = { ...extraHeaders };
  if (token()) headers.authorization = `Bearer ${token()}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (res.status === 401) {
    signOut();
    throw new Error('Your session ended: sign in again.');
  }
  const text = await res.text();
  const data = text ? JSON.parse(text) : undefined;
  if (!res.ok) throw new Error(data?.error?.message ?? `${method} ${path}: HTTP ${res.status}`);
  return { data, etag: res.headers.get('etag') };
}

function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
  render();
}

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  Object.assign(node, props);
  for (const c of children) node.append(c);
  return node;
}

function describe(task) {
  const parts = [task.priority];
  if (task.tags.length) parts.push(task.tags.map((t) => `#${t}`).join(' '));
  if (task.dueAt) parts.push(`due ${new Date(task.dueAt).toLocaleString()}`);
  if (task.remindBefore) parts.push(`reminder ${task.remindBefore} before`);
  return parts.join(' · ');
}

async function loadTasks() {
  const status = $('status-filter').value;
  const { data } = await api('GET', `/api/tasks?status=${encodeURIComponent(status)}`);
  const list = $('task-list');
  list.replaceChildren();
  for (const task of data.items) {
    const complete = el('button', { type: 'button', textContent: 'Complete', disabled: task.done });
    complete.addEventListener('click', () => act(() => completeTask(task.id)));
    const remove = el('button', { type: 'button', textContent: 'Delete' });
    remove.addEventListener('click', () => act(() => api('DELETE', `/api/tasks/${task.id}`)));
    const item = el('li', { className: `task ${task.priority}${task.done ? ' done' : ''}` },
      el('span', { className: 'title', textContent: task.title }),
      el('span', { className: 'meta', textContent: describe(task) }),
      complete, remove);
    item.dataset.taskId = task.id;
    list.append(item);
  }
  $('empty').hidden = data.items.length > 0;
}

async function completeTask(id) {
  // Conditional on the version we read: if someone changed it meanwhile, the API answers 409.
  const { etag } = await api('GET', `/api/tasks/${id}`);
  await api('POST', `/api/tasks/${id}/complete`, undefined, etag ? { 'if-match': etag } : {});
}

async function loadNotifications() {
  const { data } = await api('GET', '/api/notifications');
  $('no-reminders').hidden = data.items.length > 0;
  $('notifications').replaceChildren(...data.items.map((n) =>
    el('li', { className: 'notification' },
      el('strong', { textContent: n.title }),
      el('span', { className: 'meta', textContent: ` due ${new Date(n.dueAt).toLocaleString()} (reminded ${new Date(n.receivedAt).toLocaleTimeString()})` }))));
}

async function act(fn) {
  try {
    showError('');
    await fn();
    await loadTasks();
  } catch (err) {
    showError(err.message);
  }
}

async function render() {
  const signedIn = Boolean(token());
  $('sign-in').hidden = signedIn;
  $('tasks-view').hidden = !signedIn;
  $('sign-out').hidden = !signedIn;
  $('who').hidden = !signedIn;
  if (!signedIn) {
    const { data } = await api('GET', '/auth/config');
    $('dev-sign-in').hidden = !data.devSignIn;
    return;
  }
  try {
    const { data: me } = await api('GET', '/api/me');
    $('who').textContent = `Signed in as ${me.name}`;
    await Promise.all([loadTasks(), loadNotifications()]);
  } catch (err) {
    showError(err.message);
  }
}

$('dev-sign-in').addEventListener('submit', (e) => {
  e.preventDefault();
  act(async () => {
    const { data } = await api('POST', '/auth/dev-token', { user: $('dev-user').value });
    sessionStorage.setItem(TOKEN_KEY, data.token);
    await render();
  });
});

$('token-sign-in').addEventListener('submit', (e) => {
  e.preventDefault();
  sessionStorage.setItem(TOKEN_KEY, $('token').value.trim());
  $('token').value = '';
  render();
});

$('sign-out').addEventListener('click', signOut);
$('status-filter').addEventListener('change', () => act(async () => undefined));

$('new-task').addEventListener('submit', (e) => {
  e.preventDefault();
  const due = $('due').value;
  const body = {
    title: $('title').value,
    priority: $('priority').value,
    tags: $('tags').value.split(',').map((t) => t.trim()).filter(Boolean),
    dueAt: due ? new Date(due).toISOString() : null,
    remindBefore: $('remind').value || null,
  };
  // Clear the form now, so what is typed while this one is saved is never wiped; on failure, give it back.
  $('new-task').reset();
  act(async () => {
    try {
      await api('POST', '/api/tasks', body);
    } catch (err) {
      $('title').value = body.title;
      throw err;
    }
  });
});

// Reminders arrive through Kafka and the worker: poll for them while signed in.
setInterval(() => {
  if (token() && !document.hidden) loadNotifications().catch(() => undefined);
}, 3000);

render().catch((err) => showError(err.message));
