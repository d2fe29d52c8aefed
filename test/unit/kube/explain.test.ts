import type { CoreV1Event, V1Pod } from '@kubernetes/client-node';
import { explainPods, sortEvents } from '../../../src/kube/explain.js';
import { workloadReadiness } from '../../../src/kube/readiness.js';

const ev = (type: string, reason: string, time: string, message = ''): CoreV1Event => ({ type, reason, message, lastTimestamp: new Date(time), involvedObject: { kind: 'Pod', name: 'p' }, metadata: {} }) as CoreV1Event;

describe('sortEvents', () => {
  it('puts warnings first, newest first within each type, and drops events older than since', () => {
    const lines = sortEvents([ev('Normal', 'Scheduled', '2026-11-26T10:00:03Z'), ev('Warning', 'FailedScheduling', '2026-11-26T10:00:01Z'), ev('Warning', 'BackOff', '2026-11-26T10:00:05Z'), ev('Normal', 'Old', '2026-11-26T09:00:00Z')], new Date('2026-11-26T10:00:00Z'));
    expect(lines.map((l) => l.reason)).toEqual(['BackOff', 'FailedScheduling', 'Scheduled']);
    expect(lines[0]).toMatchObject({ type: 'Warning', object: 'Pod/p', time: '2026-11-26T10:00:05.000Z' });
  });
});

describe('explainPods', () => {
  const pod = (name: string, status: V1Pod['status']): V1Pod => ({ metadata: { name }, status });
  it.each<[string, V1Pod, Record<string, unknown>]>([
    ['unschedulable', pod('a', { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/2 nodes are available' }] }), { reason: 'Unschedulable: 0/2 nodes are available', phase: 'Pending' }],
    ['crash loop', pod('b', { phase: 'Running', conditions: [{ type: 'Ready', status: 'False', reason: 'ContainersNotReady' }], containerStatuses: [{ name: 'app', ready: false, restartCount: 4, image: 'x', imageID: '', state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s' } } }] }), { reason: 'ContainersNotReady', containers: [{ name: 'app', ready: false, restarts: 4, state: 'waiting: CrashLoopBackOff (back-off 40s)', failing: true }] }],
    ['image pull', pod('c', { phase: 'Pending', containerStatuses: [{ name: 'app', ready: false, restartCount: 0, image: 'x', imageID: '', state: { waiting: { reason: 'ErrImagePull' } } }] }), { containers: [expect.objectContaining({ failing: true, state: 'waiting: ErrImagePull' })] }],
  ])('%s', (_n, p, expected) => expect(explainPods([p])[0]).toMatchObject(expected));

  it.each<[string, V1Pod, RegExp]>([
    ['OOM killed, restarting', { metadata: { name: 'o' }, spec: { containers: [{ name: 'app', resources: { limits: { memory: '64Mi' } } }] }, status: { phase: 'Running', containerStatuses: [{ name: 'app', ready: false, restartCount: 2, image: 'x', imageID: '', state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 137, reason: 'OOMKilled' } } }] } }, /^was killed for using more memory than its limit \(64Mi\) \(OOMKilled\); restarted 2 times$/],
    ['crash loop', { metadata: { name: 'c' }, status: { phase: 'Running', containerStatuses: [{ name: 'app', ready: false, restartCount: 1, image: 'x', imageID: '', state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1, reason: 'Error' } } }] } }, /^keeps crashing: its last run ended with exit code 1 \(Error\); restarted 1 time$/],
    ['image pull', { metadata: { name: 'i' }, status: { phase: 'Pending', containerStatuses: [{ name: 'app', ready: false, restartCount: 0, image: 'r/x:1', imageID: '', state: { waiting: { reason: 'ErrImagePull', message: 'not found' } } }] } }, /^cannot pull its image r\/x:1: not found$/],
    ['readiness', { metadata: { name: 'r' }, spec: { containers: [{ name: 'app', readinessProbe: { httpGet: { path: '/readyz', port: 'http' } } }] }, status: { phase: 'Running', containerStatuses: [{ name: 'app', ready: false, started: true, restartCount: 0, image: 'x', imageID: '', state: { running: {} } }] } }, /^runs but is not ready: its readiness probe \(HTTP GET :http\/readyz\) does not pass$/],
  ])('says in words why a container fails: %s', (_n, p, why) => {
    expect(explainPods([p])[0]?.containers[0]?.why).toMatch(why);
  });

  it('leaves out ready pods and completed job pods', () => {
    expect(explainPods([pod('ok', { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] }), pod('job', { phase: 'Succeeded' })])).toEqual([]);
  });
});

describe('workloadReadiness', () => {
  it.each<[string, 'Deployment' | 'StatefulSet' | 'DaemonSet', object | undefined, boolean, string]>([
    ['missing', 'Deployment', undefined, false, 'does not exist yet'],
    ['stale generation', 'Deployment', { metadata: { generation: 2 }, spec: { replicas: 1 }, status: { observedGeneration: 1 } }, false, 'controller has not observed generation 2 yet'],
    ['rolling', 'Deployment', { metadata: { generation: 1 }, spec: { replicas: 3 }, status: { observedGeneration: 1, replicas: 4, updatedReplicas: 3, availableReplicas: 3 } }, false, '1 old replicas pending termination'],
    ['deadline', 'Deployment', { metadata: { generation: 1 }, spec: { replicas: 1 }, status: { observedGeneration: 1, conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'ReplicaSet "x" has timed out progressing.' }] } }, false, 'rollout exceeded its progress deadline: ReplicaSet "x" has timed out progressing.'],
    ['deployment ready', 'Deployment', { metadata: { generation: 1 }, spec: { replicas: 2 }, status: { observedGeneration: 1, replicas: 2, updatedReplicas: 2, availableReplicas: 2 } }, true, 'ready'],
    ['statefulset revision', 'StatefulSet', { spec: { replicas: 1 }, status: { readyReplicas: 1, currentRevision: 'a', updateRevision: 'b' } }, false, 'rolling out revision b'],
    ['statefulset ready', 'StatefulSet', { spec: { replicas: 1 }, status: { readyReplicas: 1, currentRevision: 'a', updateRevision: 'a' } }, true, 'ready'],
    ['daemonset', 'DaemonSet', { status: { desiredNumberScheduled: 2, updatedNumberScheduled: 2, numberAvailable: 1 } }, false, '1 of 2 pods available'],
  ])('%s', (_n, kind, obj, ready, reason) => expect(workloadReadiness(kind, obj as never)).toEqual({ ready, reason }));
});
