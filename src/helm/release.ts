/** Pure: reading Helm's JSON about releases (history and list entries carry no values). */
export type ReleaseStatus = 'deployed' | 'failed' | 'superseded' | 'uninstalled' | 'uninstalling' | 'pending-install' | 'pending-upgrade' | 'pending-rollback' | 'unknown';

export interface Revision {
  revision: number;
  status: ReleaseStatus;
  chart: string;
  appVersion: string;
  updated: string;
  description: string;
}

interface RawHistory {
  revision: number;
  status: string;
  chart: string;
  app_version?: string;
  updated?: string;
  description?: string;
}

export function parseHistory(json: string): Revision[] {
  const raw = JSON.parse(json || '[]') as RawHistory[] | null;
  return (raw ?? [])
    .map((r) => ({ revision: r.revision, status: r.status as ReleaseStatus, chart: r.chart, appVersion: r.app_version ?? '', updated: r.updated ?? '', description: r.description ?? '' }))
    .sort((a, b) => a.revision - b.revision);
}

export const isPending = (s: ReleaseStatus): boolean => s.startsWith('pending-');

/** The revision running now: the newest deployed one. */
export function liveRevision(history: Revision[]): Revision | undefined {
  return [...history].reverse().find((r) => r.status === 'deployed');
}

export function latest(history: Revision[]): Revision | undefined {
  return history.at(-1);
}

/** "hello-0.1.0" with chart name "hello" -> "0.1.0"; without the name, the part after the last "-<digit>". */
export function chartVersionOf(chart: string): string {
  const m = /-(v?\d+\.\d+\.\d+.*)$/.exec(chart);
  return m ? m[1]! : '';
}

/** What `helm upgrade --output json` says of the release it made (values and manifest are ignored). */
export function parseUpgradeJson(json: string): Revision | undefined {
  try {
    const r = JSON.parse(json) as { version?: number; info?: { status?: string; last_deployed?: string; description?: string }; chart?: { metadata?: { name?: string; version?: string; appVersion?: string } } };
    if (typeof r.version !== 'number') return undefined;
    const meta = r.chart?.metadata ?? {};
    return { revision: r.version, status: (r.info?.status ?? 'unknown') as ReleaseStatus, chart: `${meta.name ?? ''}-${meta.version ?? ''}`, appVersion: meta.appVersion ?? '', updated: r.info?.last_deployed ?? '', description: r.info?.description ?? '' };
  } catch {
    return undefined;
  }
}
