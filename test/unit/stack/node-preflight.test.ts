import { preflight } from '../../../stack/src/node/host.js';

describe('node preflight', () => {
  it('names each missing part and what to run, before anything is made', () => {
    const problems = preflight({ containerd: '/nonexistent/containerd', 'CNI bridge plugin': '/nonexistent/cni/bridge' });
    expect(problems).toEqual(expect.arrayContaining([
      'containerd is missing (/nonexistent/containerd): run bash stack/install-system.sh',
      'CNI bridge plugin is missing (/nonexistent/cni/bridge): run bash stack/install-system.sh',
    ]));
  });

  it('finds nothing missing when every part is there (this machine has overlayfs, namespaces and cgroups)', () => {
    const problems = preflight({ sh: '/bin/sh' });
    if (process.getuid?.() === 0) expect(problems).toEqual([]);
    else expect(problems).toEqual([expect.stringContaining('the node needs root')]);
  });
});
