/**
 * Shapes of the identifiers a user types: OCIDs, region identifiers and API-key fingerprints. Pure
 * checks that return a ConfigurationProblem (input, problem, fix) instead of throwing, so an action can
 * report every mistake at once.
 */
import type { ConfigurationProblem } from '../core/errors.js';

/** `ocid1.<type>.<realm>.[region][.future].<unique>` (OCI's documented layout). */
const OCID = /^ocid1\.([a-z0-9]+)\.([a-z0-9]+)\.([a-z0-9-]*)(?:\.([a-z0-9-]+))?\.([a-z0-9]+)$/;

export interface Ocid {
  type: string;
  realm: string;
  /** Region key or identifier (`iad`, `us-ashburn-1`); empty for global resources (tenancy, user). */
  region: string;
  unique: string;
}

export function parseOcid(value: string): Ocid | undefined {
  const m = OCID.exec(value);
  if (!m) return undefined;
  return { type: m[1]!, realm: m[2]!, region: m[3]!, unique: m[5]! };
}

const EXAMPLES: Record<string, string> = {
  cluster: 'ocid1.cluster.oc1.iad.aaaaaaaa...',
  tenancy: 'ocid1.tenancy.oc1..aaaaaaaa...',
  user: 'ocid1.user.oc1..aaaaaaaa...',
};

const WHERE: Record<string, string> = {
  cluster: "copy it from the Console (Developer Services > Kubernetes Clusters (OKE) > the cluster > OCID)",
  tenancy: "copy it from the Console (Profile menu > Tenancy > OCID) or the `tenancy` line of ~/.oci/config",
  user: "copy it from the Console (Profile menu > My profile > OCID) or the `user` line of ~/.oci/config",
};

/** Checks that `value` is an OCID of the given type; returns the problem, or undefined when it is fine. */
export function ocidProblem(input: string, value: string, type: 'cluster' | 'tenancy' | 'user'): ConfigurationProblem | undefined {
  const fix = `${WHERE[type]}; it looks like ${EXAMPLES[type]}`;
  if (/\s|["'`]/.test(value)) return { input, problem: 'contains spaces or quotes', fix: `paste the bare OCID; ${fix}` };
  if (!value.startsWith('ocid1.')) {
    const what = /^[\w.-]+$/.test(value) && !value.includes('.') ? 'looks like a name, not an OCID' : 'is not an OCID (it does not start with "ocid1.")';
    return { input, problem: `"${value}" ${what}`, fix };
  }
  const ocid = parseOcid(value.toLowerCase());
  if (!ocid) return { input, problem: `"${value}" is not a well-formed OCID`, fix };
  if (value !== value.toLowerCase()) return { input, problem: 'contains upper-case letters; OCIDs are lower-case', fix: `paste it exactly as shown; ${fix}` };
  if (ocid.type !== type) {
    return { input, problem: `is a ${ocid.type} OCID, not a ${type} OCID`, fix };
  }
  return undefined;
}

/** Region identifiers: `us-ashburn-1`, `eu-frankfurt-1`, `us-gov-ashburn-1`, `sa-saopaulo-1`. */
const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d+$/;

export function regionProblem(input: string, value: string): ConfigurationProblem | undefined {
  const fix = 'use the region identifier, e.g. us-ashburn-1 or eu-frankfurt-1 (Console > Regions, or the `region` line of ~/.oci/config)';
  if (REGION.test(value)) return undefined;
  if (REGION.test(value.toLowerCase())) return { input, problem: `"${value}" must be lower-case`, fix };
  if (/^[a-zA-Z]{3}$/.test(value)) return { input, problem: `"${value}" is a region key, not a region identifier`, fix };
  return { input, problem: `"${value}" is not an OCI region identifier`, fix };
}

/**
 * The region a cluster OCID names in its region segment (`ocid1.cluster.oc1.<region>.<unique>`): a region
 * identifier (`us-ashburn-1`) as it is, or a region key (`iad`) through `regionForKey` (the OCI SDK's region
 * table, oci-common's Region; only loaded with the SDK). `segment` is what the OCID holds, `region` is undefined
 * when that is nothing, or a key the lookup does not know.
 */
export function regionFromClusterId(clusterId: string, regionForKey: (key: string) => string | undefined): { segment: string; region: string | undefined } {
  const segment = parseOcid(clusterId)?.region ?? '';
  if (!segment) return { segment, region: undefined };
  return { segment, region: segment.includes('-') ? segment : regionForKey(segment) };
}

/** Checks that the cluster OCID's region segment (when it is one) matches the region; keys need a lookup. */
export function clusterRegionProblem(input: string, clusterId: string, region: string, regionForKey: (key: string) => string | undefined): ConfigurationProblem | undefined {
  const ocid = parseOcid(clusterId);
  if (!ocid?.region) return undefined;
  const clusterRegion = ocid.region.includes('-') ? ocid.region : regionForKey(ocid.region);
  if (!clusterRegion || clusterRegion === region) return undefined;
  return {
    input,
    problem: `the cluster OCID belongs to region ${clusterRegion}${clusterRegion !== ocid.region ? ` (${ocid.region})` : ''}, not ${region}`,
    fix: `set region to ${clusterRegion}, or check that cluster-id is the cluster you meant`,
  };
}

/** API-key fingerprints: 16 colon-separated hex pairs, as the Console and `oci setup keys` show them. */
const FINGERPRINT = /^([0-9a-f]{2}:){15}[0-9a-f]{2}$/;

export function normalizeFingerprint(value: string): string {
  return value.trim().toLowerCase();
}

export function fingerprintProblem(input: string, value: string): ConfigurationProblem | undefined {
  if (FINGERPRINT.test(normalizeFingerprint(value))) return undefined;
  return {
    input,
    problem: `"${value}" is not an API-key fingerprint`,
    fix: 'copy it from the Console (My profile > API keys); it looks like 12:34:56:78:9a:bc:de:f0:12:34:56:78:9a:bc:de:f0',
  };
}
