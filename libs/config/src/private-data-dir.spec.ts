import { chmod, chown, mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigErrorCode } from './config-loader';
import { ensurePrivateDataDir } from './private-data-dir';

const posix = process.platform !== 'win32';
const mode = async (path: string) => (await stat(path)).mode & 0o777;

(posix ? describe : describe.skip)('the private data directory', () => {
  let base: string;
  beforeEach(async () => (base = await mkdtemp(join(tmpdir(), 'aico-datadir-'))));
  afterEach(() => rm(base, { recursive: true, force: true }));

  it('creates a missing directory 0700', async () => {
    expect(ensurePrivateDataDir(join(base, 'data'))).toEqual({ created: true });
    expect(await mode(join(base, 'data'))).toBe(0o700);
  });

  it("closes the user's own directory that others could read or write (chmod 0700) and says it did", async () => {
    const dir = join(base, 'open');
    await mkdir(dir);
    await chmod(dir, 0o755);
    expect(ensurePrivateDataDir(dir)).toEqual({ created: false, fixedFromMode: 0o755 });
    expect(await mode(dir)).toBe(0o700);
    expect(ensurePrivateDataDir(dir)).toEqual({ created: false });
  });

  it("refuses someone else's directory that others can enter, naming the command that fixes it", async () => {
    const dir = join(base, 'foreign');
    await mkdir(dir);
    await chmod(dir, 0o775);
    const me = process.getuid!();
    // As root the directory can really belong to someone else; otherwise pretend to be another user.
    const owner = me === 0 ? 4242 : me;
    if (me === 0) await chown(dir, owner, owner);
    const asUid = me === 0 ? 0 : me + 1;
    expect(() => ensurePrivateDataDir(dir, 'linux', asUid)).toThrow(
      expect.objectContaining({ code: ConfigErrorCode.DataDirUnsafe, message: expect.stringContaining(`sudo chown ${asUid} '${dir}' && chmod 700 '${dir}'`) }),
    );
    expect(await mode(dir)).toBe(0o775);
  });
});
