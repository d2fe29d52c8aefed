import { clusterRegionProblem, fingerprintProblem, ocidProblem, parseOcid, regionProblem } from '../../../src/oci/ocid.js';

describe('OCIDs', () => {
  it.each([
    ['ocid1.cluster.oc1.iad.aaaaaaaaxyz', { type: 'cluster', realm: 'oc1', region: 'iad', unique: 'aaaaaaaaxyz' }],
    ['ocid1.cluster.oc1.us-ashburn-1.aaaaaaaaxyz', { type: 'cluster', realm: 'oc1', region: 'us-ashburn-1', unique: 'aaaaaaaaxyz' }],
    ['ocid1.tenancy.oc1..aaaaaaaaxyz', { type: 'tenancy', realm: 'oc1', region: '', unique: 'aaaaaaaaxyz' }],
    ['ocid1.user.oc2.phx.future.aaaaaaaaxyz', { type: 'user', realm: 'oc2', region: 'phx', unique: 'aaaaaaaaxyz' }],
    ['ocid1.cluster', undefined],
    ['cluster.oc1.iad.aaaa', undefined],
  ])('parses %s', (value, expected) => expect(parseOcid(value)).toEqual(expected));

  it.each([
    ['cluster-id', 'ocid1.cluster.oc1.iad.aaaaaaaaxyz', 'cluster', undefined],
    ['tenancy', 'ocid1.tenancy.oc1..aaaaaaaaxyz', 'tenancy', undefined],
    ['user', 'ocid1.user.oc1..aaaaaaaaxyz', 'user', undefined],
    ['cluster-id', 'my-cluster', 'cluster', '"my-cluster" looks like a name, not an OCID'],
    ['cluster-id', 'https://cloud.oracle.com/containers/clusters', 'cluster', '"https://cloud.oracle.com/containers/clusters" is not an OCID (it does not start with "ocid1.")'],
    ['cluster-id', 'ocid1.tenancy.oc1..aaaaaaaaxyz', 'cluster', 'is a tenancy OCID, not a cluster OCID'],
    ['tenancy', 'ocid1.user.oc1..aaaaaaaaxyz', 'tenancy', 'is a user OCID, not a tenancy OCID'],
    ['user', 'ocid1.tenancy.oc1..aaaaaaaaxyz', 'user', 'is a tenancy OCID, not a user OCID'],
    ['cluster-id', '"ocid1.cluster.oc1.iad.aaaa"', 'cluster', 'contains spaces or quotes'],
    ['cluster-id', 'ocid1.cluster.oc1.iad.aaaa xyz', 'cluster', 'contains spaces or quotes'],
    ['cluster-id', 'ocid1.cluster.oc1.iad.AAAAAAAA', 'cluster', 'contains upper-case letters; OCIDs are lower-case'],
    ['cluster-id', 'ocid1.cluster', 'cluster', '"ocid1.cluster" is not a well-formed OCID'],
  ] as const)('%s %s', (input, value, type, problem) => {
    const p = ocidProblem(input, value, type);
    expect(p?.problem).toBe(problem);
    if (p) {
      expect(p.input).toBe(input);
      expect(p.fix).toContain(type === 'cluster' ? 'ocid1.cluster.oc1.iad' : `ocid1.${type}.oc1..`);
    }
  });
});

describe('regions', () => {
  it.each([
    ['us-ashburn-1', undefined],
    ['eu-frankfurt-1', undefined],
    ['us-gov-ashburn-1', undefined],
    ['sa-saopaulo-1', undefined],
    ['US-Ashburn-1', '"US-Ashburn-1" must be lower-case'],
    ['iad', '"iad" is a region key, not a region identifier'],
    ['ashburn', '"ashburn" is not an OCI region identifier'],
    ['us-ashburn', '"us-ashburn" is not an OCI region identifier'],
  ])('%s', (value, problem) => {
    const p = regionProblem('region', value);
    expect(p?.problem).toBe(problem);
    if (p) expect(p.fix).toContain('us-ashburn-1');
  });

  const keys: Record<string, string> = { iad: 'us-ashburn-1', fra: 'eu-frankfurt-1' };
  it.each([
    ['ocid1.cluster.oc1.iad.aaaa', 'us-ashburn-1', undefined],
    ['ocid1.cluster.oc1.iad.aaaa', 'eu-frankfurt-1', 'the cluster OCID belongs to region us-ashburn-1 (iad), not eu-frankfurt-1'],
    ['ocid1.cluster.oc1.ap-mumbai-1.aaaa', 'us-ashburn-1', 'the cluster OCID belongs to region ap-mumbai-1, not us-ashburn-1'],
    ['ocid1.cluster.oc1.zzz.aaaa', 'us-ashburn-1', undefined],
    ['ocid1.cluster.oc1..aaaa', 'us-ashburn-1', undefined],
  ])('cluster %s in %s', (id, region, problem) => {
    const p = clusterRegionProblem('region', id, region, (k) => keys[k]);
    expect(p?.problem).toBe(problem);
    if (p) expect(p.fix).toMatch(/^set region to /);
  });
});

describe('fingerprints', () => {
  it.each([
    ['6b:2a:b5:c3:de:e7:6a:ce:ba:27:3e:7c:36:3a:d9:b5', true],
    ['6B:2A:B5:C3:DE:E7:6A:CE:BA:27:3E:7C:36:3A:D9:B5', true],
    [' 6b:2a:b5:c3:de:e7:6a:ce:ba:27:3e:7c:36:3a:d9:b5 ', true],
    ['6b2ab5c3dee76aceba273e7c363ad9b5', false],
    ['6b:2a:b5', false],
    ['SHA256:abcdef', false],
  ])('%s', (value, ok) => {
    const p = fingerprintProblem('fingerprint', value);
    expect(p === undefined).toBe(ok);
    if (p) expect(p.fix).toContain('API keys');
  });
});
