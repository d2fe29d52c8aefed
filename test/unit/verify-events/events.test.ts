import { diagnose, type ProbeFate } from '../../../src/events/diagnose.js';
import { groupReadiness, type GroupView } from '../../../src/events/group.js';
import { ackProbeId, buildProbe, latencyStats, parseAck } from '../../../src/events/probe.js';

describe('probes', () => {
  const now = new Date('2026-11-26T10:00:00.000Z');
  const probe = buildProbe({ type: 'io.oke-dapr-actions.probe', topic: 'task-events', pubsubName: 'pubsub', source: 'https://github.com/acme/todo/commit/abc', now, expiresAt: new Date(now.getTime() + 60_000) }, 'p-1');

  it('is a structured CloudEvent with the probe id as key, header and data', () => {
    const ce = JSON.parse(probe.value) as Record<string, unknown>;
    expect(ce).toMatchObject({ specversion: '1.0', id: 'p-1', type: 'io.oke-dapr-actions.probe', source: 'https://github.com/acme/todo/commit/abc', topic: 'task-events', pubsubname: 'pubsub', time: '2026-11-26T10:00:00.000Z', expiration: '2026-11-26T10:01:00.000Z', datacontenttype: 'application/json', data: { probeId: 'p-1' } });
    expect(ce.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(probe.key).toBe('p-1');
    expect(probe.headers).toMatchObject({ 'probe-id': 'p-1', 'content-type': 'application/cloudevents+json' });
  });

  it('gives every probe a fresh id and trace', () => {
    const a = buildProbe({ type: 't', topic: 'x', pubsubName: 'p', source: 's', now, expiresAt: now });
    const b = buildProbe({ type: 't', topic: 'x', pubsubName: 'p', source: 's', now, expiresAt: now });
    expect(a.id).not.toBe(b.id);
    expect(a.headers.traceparent).not.toBe(b.headers.traceparent);
  });

  it.each<[string, string | null, Record<string, string>, string | undefined]>([
    ['the app contract: data.probeId', JSON.stringify({ type: 'io.oke-dapr-actions.probe.ack', data: { probeId: 'p-1' } }), {}, 'p-1'],
    ['data as a JSON string', JSON.stringify({ data: JSON.stringify({ probeId: 'p-2' }) }), {}, 'p-2'],
    ['a probe-id header', 'not json', { 'probe-id': 'p-3' }, 'p-3'],
    ['a task event is no acknowledgement', JSON.stringify({ type: 'task.created', data: { taskId: 't' } }), {}, undefined],
    ['an empty record', null, {}, undefined],
  ])('ackProbeId: %s', (_n, value, headers, id) => expect(ackProbeId(value, headers)).toBe(id));

  it.each([
    [[100], { p50: 100, p95: 100, max: 100 }],
    [[5, 1, 4, 2, 3], { p50: 3, p95: 5, max: 5 }],
    [Array.from({ length: 100 }, (_, i) => i + 1), { p50: 50, p95: 95, max: 100 }],
  ])('latencyStats %#', (ms, stats) => expect(latencyStats(ms)).toEqual(stats));

  it('has no stats without acknowledgements', () => expect(latencyStats([])).toBeUndefined());
});

describe('groupReadiness', () => {
  const member = (topics: string[]) => ({ clientId: 'daprd', host: '/10.0.0.1', topics });
  it.each<[string, GroupView | undefined, string]>([
    ['no group', undefined, 'missing'],
    ['dead group', { state: 'Dead', members: [] }, 'missing'],
    ['empty', { state: 'Empty', members: [] }, 'empty'],
    ['rebalancing', { state: 'PreparingRebalance', members: [member(['task-events'])] }, 'rebalancing'],
    ['stable, other topics', { state: 'Stable', members: [member(['reminders'])] }, 'not-assigned'],
  ])('%s', (_n, group, kind) => {
    const r = groupReadiness(group, 'todo-worker', 'task-events');
    expect(r.ready).toBe(false);
    expect(r.ready ? '' : r.kind).toBe(kind);
  });

  it('is ready when Stable with the probe topic assigned', () => {
    expect(groupReadiness({ state: 'Stable', members: [member(['reminders']), member(['task-events'])] }, 'todo-worker', 'task-events')).toEqual({ ready: true });
  });

  it('says what to look at next when the group is empty', () => {
    const r = groupReadiness({ state: 'Empty', members: [] }, 'todo-worker', 'task-events');
    expect(r).toMatchObject({ detail: 'consumer group "todo-worker" has no members (state Empty)', next: expect.stringContaining('subscriber is not running') });
  });
});

describe('diagnose', () => {
  const fate = (o: Partial<ProbeFate>): ProbeFate => ({ id: 'p', partition: 0, offset: 5n, acknowledged: false, consumed: false, inDeadLetter: false, ...o });
  const ctx = { groupId: 'todo-worker', probeTopic: 'task-events', replyTopic: 'task-updates', deadLetterTopic: 'task-events-dlq', lag: 3n };
  it('has nothing to say when every probe came back', () => expect(diagnose([fate({ acknowledged: true })], ctx)).toBeUndefined());
  it.each<[string, ProbeFate[], object, RegExp]>([
    ['group problem first', [fate({})], { groupProblem: 'consumer group "todo-worker" has no members' }, /not acknowledged: consumer group "todo-worker" has no members/],
    ['dead letter', [fate({ inDeadLetter: true, consumed: true })], {}, /went to the dead-letter topic task-events-dlq: the app's handler failed/],
    ['consumed, no ack', [fate({ consumed: true }), fate({ acknowledged: true })], {}, /^1 of 2 probe\(s\) were consumed by "todo-worker" but never acknowledged on task-updates$/],
    ['not consumed', [fate({})], {}, /^1 of 1 probe\(s\) not consumed by "todo-worker" \(lag 3 on task-events\)$/],
  ])('%s', (_n, fates, extra, verdict) => expect(diagnose(fates, { ...ctx, ...extra })?.verdict).toMatch(verdict));

  it('points at the route and handler when probes were consumed unseen', () => {
    expect(diagnose([fate({ consumed: true })], ctx)?.next).toMatch(/CEL route for the probe type/);
  });
});

describe('parseAck', () => {
  it('reads the acknowledging app from the CloudEvent source (Dapr sets it to the app id)', () => {
    expect(parseAck(JSON.stringify({ source: 'todo-worker', data: { probeId: 'p-9' } }))).toEqual({ probeId: 'p-9', source: 'todo-worker' });
  });
});
