import { join } from 'node:path';
import { ConfigError, loadConfig } from '@aico/config';
import { backupDirectory, schedulerConfigSchema } from './scheduler.config';

const load = (env: NodeJS.ProcessEnv) => loadConfig({ schema: schedulerConfigSchema, env: { AICO_DATA_DIR: '/var/lib/aico', ...env } }).config;

describe('scheduler configuration', () => {
  it('has defaults for every built-in task; key rotation is off', () => {
    const config = load({});
    expect(config.scheduler).toMatchObject({
      healthSweep: { enabled: true, schedule: 'every 60s' },
      backup: { enabled: true, keepLast: 7 },
      keyRotation: { enabled: false, purposes: ['database'] },
    });
    expect(backupDirectory(config)).toBe('/var/lib/aico-backups');
  });

  it('reads overrides from the environment', () => {
    const config = load({
      AICO_SCHEDULER__KEY_ROTATION__ENABLED: 'true',
      AICO_SCHEDULER__KEY_ROTATION__PURPOSES: 'file,backup',
      AICO_SCHEDULER__BACKUP__DIRECTORY: '/mnt/usb/aico',
    });
    expect(config.scheduler.keyRotation).toMatchObject({ enabled: true, purposes: ['file', 'backup'] });
    expect(backupDirectory(config)).toBe('/mnt/usb/aico');
  });

  it.each([
    [
      'a bad schedule',
      { AICO_SCHEDULER__BACKUP__SCHEDULE: '0 99 * * *' },
      /scheduler\.backup\.schedule \(from AICO_SCHEDULER__BACKUP__SCHEDULE\): The cron expression/,
    ],
    ['an unknown time zone', { AICO_SCHEDULER__TIME_ZONE: 'Mars/Olympus' }, /scheduler\.timeZone .*not an IANA time zone/],
    ['an unknown key purpose', { AICO_SCHEDULER__KEY_ROTATION__PURPOSES: 'master' }, /scheduler\.keyRotation\.purposes/],
    [
      'backups inside the data directory, where storage refuses them',
      { AICO_SCHEDULER__BACKUP__DIRECTORY: join('/var/lib/aico', 'backups') },
      /scheduler\.backup\.directory .*inside the data directory/,
    ],
  ])('stops at boot on %s, naming the key', (_case, env, message) => {
    expect(() => load(env)).toThrow(ConfigError);
    expect(() => load(env)).toThrow(message);
  });
});
