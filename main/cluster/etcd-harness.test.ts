// The harness itself: a real 3-member etcd comes up, serves reads and writes, survives
// kill -9 of one member (quorum 2 of 3), takes the member back, and leaves nothing behind.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { Etcd3 } from 'etcd3';
import { EtcdCluster } from './etcd-harness';

describe('etcd harness', () => {
  let etcd: EtcdCluster;
  let client: Etcd3;
  beforeAll(async () => {
    etcd = await EtcdCluster.start({ members: 3 });
    client = new Etcd3({ hosts: etcd.endpoints, dialTimeout: 2000 });
  });
  afterAll(async () => {
    client?.close();
    await etcd?.stop();
  });

  it('serves a 3-member cluster, keeps quorum through kill -9 of one member, and takes it back', async () => {
    await client.put('/t/a').value('1');
    expect(await client.get('/t/a').string()).toBe('1');
    await etcd.kill9('m1');
    expect(etcd.member('m1').child).toBeNull();
    await client.put('/t/b').value('2');
    expect(await client.get('/t/b').string()).toBe('2');
    await etcd.restart('m1');
    expect(await etcd.memberHealthy(etcd.member('m1'))).toBe(true);
    const only = new Etcd3({ hosts: etcd.member('m1').client_url });
    try {
      expect(await only.get('/t/b').string()).toBe('2');
    } finally {
      only.close();
    }
  });

  it('stop() kills every member and removes the data directory', async () => {
    const other = await EtcdCluster.start({ members: 1 });
    const pid = other.members[0]!.child!.pid as number;
    await other.stop();
    expect(existsSync(other.dir)).toBe(false);
    expect(() => process.kill(pid, 0)).toThrow();
  });
});
