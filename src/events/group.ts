/** Pure: is the subscriber's consumer group ready to receive probes? Table-tested. */
export interface GroupView {
  state: string;
  members: Array<{ clientId: string; host: string; topics: string[] }>;
}

export type GroupReadiness =
  | { ready: true }
  | { ready: false; kind: 'missing' | 'empty' | 'rebalancing' | 'not-assigned'; detail: string; next: string };

export function groupReadiness(group: GroupView | undefined, groupId: string, topic: string): GroupReadiness {
  if (!group || group.state === 'Dead' || group.state === 'DEAD') {
    return { ready: false, kind: 'missing', detail: `consumer group "${groupId}" does not exist`, next: `check consumer-group (Dapr's default is the app id) and that the app subscribed to ${topic} and is running with its sidecar` };
  }
  const state = group.state.toUpperCase().replace(/[^A-Z]/g, '');
  if (!group.members.length || state === 'EMPTY') {
    return { ready: false, kind: 'empty', detail: `consumer group "${groupId}" has no members (state ${group.state})`, next: `the subscriber is not running, its sidecar is not connected, or the app fails Dapr's app health check (daprd stops its subscriptions while the app is unhealthy): look at the app's pods (restarts, readiness) and daprd logs` };
  }
  if (state !== 'STABLE') {
    return { ready: false, kind: 'rebalancing', detail: `consumer group "${groupId}" is ${group.state} with ${group.members.length} member(s)`, next: 'a rollout or crash-looping pod keeps the group rebalancing: look at the app\'s pods (restarts) and daprd logs' };
  }
  if (!group.members.some((m) => m.topics.includes(topic))) {
    return { ready: false, kind: 'not-assigned', detail: `consumer group "${groupId}" is Stable but no member is assigned ${topic} (members read: ${[...new Set(group.members.flatMap((m) => m.topics))].join(', ') || 'nothing'})`, next: `Dapr does not create topics and does not pick up a topic created after the sidecar started: create ${topic} (redpanda-topics), then restart the app` };
  }
  return { ready: true };
}
