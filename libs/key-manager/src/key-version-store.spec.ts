import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyVersionStore } from './key-version-store';

describe('KeyVersionStore', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aico-versions-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('starts every purpose at version 1, rotates one durably, and leaves the others', async () => {
    const store = new KeyVersionStore(dir);
    expect((await store.read()).file).toEqual({ version: 1, rotatedAt: '' });
    const rotated = await store.rotate('file', new Date('2026-11-26T12:00:00Z'));
    expect(rotated).toEqual({ previous: 1, current: { version: 2, rotatedAt: '2026-11-26T12:00:00.000Z' } });
    const reread = await new KeyVersionStore(dir).read();
    expect(reread.file.version).toBe(2);
    expect(reread.database.version).toBe(1);
    expect((await store.rotate('file')).current.version).toBe(3);
  });
});
