import { crdEstablished } from '../../../src/kube/crds.js';

const cond = (type: string, status: string, reason?: string, message?: string) => ({ type, status, reason, message });

describe('crdEstablished', () => {
  it.each([
    ['absent', undefined, { ready: false, reason: 'not installed' }],
    ['no conditions yet', { metadata: { name: 'a.x.io' } }, { ready: false, reason: 'not Established yet' }],
    ['Established', { status: { conditions: [cond('NamesAccepted', 'True'), cond('Established', 'True')] } }, { ready: true, reason: 'Established' }],
    ['names accepted, not Established yet', { status: { conditions: [cond('NamesAccepted', 'True'), cond('Established', 'False', 'Installing')] } }, { ready: false, reason: 'not Established yet' }],
    ['being deleted', { status: { conditions: [cond('Established', 'True'), cond('Terminating', 'True', 'InstanceDeletionInProgress', 'CustomResource deletion is in progress')].slice(1) } }, { ready: false, reason: 'being deleted (CustomResource deletion is in progress)' }],
  ])('%s', (_, crd, expected) => expect(crdEstablished(crd)).toEqual(expected));

  it('a CRD whose names another CRD holds is stuck: waiting cannot establish it', () => {
    const s = crdEstablished({ status: { conditions: [cond('NamesAccepted', 'False', 'KindConflict', '"Component" is already in use'), cond('Established', 'False', 'NotAccepted')] } });
    expect(s).toEqual({ ready: false, stuck: true, reason: 'the API server refused its names (KindConflict: "Component" is already in use)' });
  });
});
