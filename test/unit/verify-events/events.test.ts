import { diagnose, type ProbeFate } from '../../../src/events/diagnose.js';
import { groupReadiness, type GroupView } from '../../../src/events/group.js';
import { ackProbeId, buildProbe, latencyStats, parseAck, parseProbeFailure } from '../../../src/events/probe.js';

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
    ['dead-lettered without a failure report: the app was unreachable, not a failing handler', [fate({ inDeadLetter: true, consumed: true })], {}, /^1 of 1 probe\(s\) went to the dead-letter topic task-events-dlq with no failure report from the app's handler: the app was unreachable from its sidecar \(the handler never ran;/],
    ['the handler reported a failure, then the probe was dead-lettered', [fate({ inDeadLetter: true, consumed: true, failure: 'publishing the acknowledgement to task-updates failed: HTTP 403' })], {}, /^1 of 1 probe\(s\) reached the app, and its handler failed on them, 1 of them dead-lettered to task-events-dlq: publishing the acknowledgement to task-updates failed: HTTP 403$/],
    ['the handler reported a failure, Dapr still retrying', [fate({ failure: 'boom' }), fate({ acknowledged: true })], {}, /^1 of 2 probe\(s\) reached the app, and its handler failed on them \(Dapr was still retrying them\): boom$/],
    ['a failure report outweighs dead-lettered probes without one', [fate({ id: 'a', inDeadLetter: true }), fate({ id: 'b', inDeadLetter: true, failure: 'boom' })], {}, /^1 of 2 probe\(s\) reached the app, and its handler failed on them, 1 of them dead-lettered/],
    ['dead-letter evidence before a group problem', [fate({ inDeadLetter: true })], { groupProblem: 'consumer group "todo-worker" is PreparingRebalance' }, /with no failure report from the app's handler: the app was unreachable/],
    ['consumed, no ack', [fate({ consumed: true }), fate({ acknowledged: true })], {}, /^1 of 2 probe\(s\) were consumed by "todo-worker" but never acknowledged on task-updates$/],
    ['not consumed', [fate({})], {}, /^1 of 1 probe\(s\) not consumed by "todo-worker" \(lag 3 on task-events\)$/],
  ])('%s', (_n, fates, extra, verdict) => expect(diagnose(fates, { ...ctx, ...extra })?.verdict).toMatch(verdict));

  it('points at the route and handler when probes were consumed unseen', () => {
    expect(diagnose([fate({ consumed: true })], ctx)?.next).toMatch(/CEL route for the probe type/);
    // Without a dead-letter topic an unreachable app looks the same: the hint says how to tell.
    expect(diagnose([fate({ consumed: true })], { ...ctx, deadLetterTopic: undefined })?.next).toMatch(/Without dead-letter-topic, probes daprd gave up on \(the app unreachable, the handler failing\) look the same/);
  });

  it('the two dead-letter verdicts point at different things: the app\'s port and restarts, or what the handler reported', () => {
    const unreachable = diagnose([fate({ id: 'p-9', inDeadLetter: true })], ctx)!;
    expect(unreachable.verdict).not.toMatch(/handler failed/);
    expect(unreachable.next).toMatch(/app process was down, restarting or not listening on its app port \(dapr\.io\/app-port\).*"connection refused"/);
    expect(unreachable.next).toMatch(/app health check/);
    expect(unreachable.next).toContain('p-9');
    const failed = diagnose([fate({ id: 'p-8', inDeadLetter: true, failure: 'boom' })], ctx)!;
    expect(failed.verdict).not.toMatch(/unreachable/);
    expect(failed.next).toMatch(/^the handler ran: fix what it reports \(the app's log has the probe ids p-8\)/);
  });
});

describe('parseProbeFailure', () => {
  it('reads the handler\'s failure report, and nothing else, from the dead-letter topic', () => {
    const report = { type: 'io.oke-dapr-actions.probe.failed', source: 'todo-worker', data: { probeId: 'p-1', handledBy: 'todo-worker', error: 'HTTP 403' } };
    expect(parseProbeFailure(JSON.stringify(report))).toEqual({ probeId: 'p-1', handledBy: 'todo-worker', error: 'HTTP 403' });
    expect(parseProbeFailure(JSON.stringify({ ...report, data: JSON.stringify(report.data) }))).toMatchObject({ probeId: 'p-1' });
    // A dead-lettered probe itself (its data also has probeId) is not a report.
    expect(parseProbeFailure(JSON.stringify({ type: 'io.oke-dapr-actions.probe', data: { probeId: 'p-1' } }))).toBeUndefined();
    expect(parseProbeFailure('not json')).toBeUndefined();
    expect(parseProbeFailure(null)).toBeUndefined();
  });

  it('keeps an app\'s reason to one bounded line', () => {
    const r = parseProbeFailure(JSON.stringify({ type: 'io.oke-dapr-actions.probe.failed', data: { probeId: 'p', error: `line 1\nline 2 ${'x'.repeat(1000)}` } }));
    expect(r?.error).toMatch(/^line 1 line 2 x+$/);
    expect(r?.error.length).toBe(300);
    expect(parseProbeFailure(JSON.stringify({ type: 'io.oke-dapr-actions.probe.failed', data: { probeId: 'p' } }))?.error).toBe('no reason given');
  });
});

describe('parseAck', () => {
  it('reads the acknowledging app from the CloudEvent source (Dapr sets it to the app id)', () => {
    expect(parseAck(JSON.stringify({ source: 'todo-worker', data: { probeId: 'p-9' } }))).toEqual({ probeId: 'p-9', source: 'todo-worker' });
  });
});
