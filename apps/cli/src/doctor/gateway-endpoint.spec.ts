import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@aico/config';
import { loadGatewayEndpoint } from './gateway-endpoint';

describe('loadGatewayEndpoint', () => {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'aico-doctor-gateway-'));
  });
  afterEach(() => rm(dataDir, { recursive: true, force: true }));

  it("reads the gateway's address as the gateway does: defaults, then its section of the config file, then AICO_GATEWAY__*", async () => {
    expect(loadGatewayEndpoint({ AICO_DATA_DIR: dataDir })).toEqual({ host: '127.0.0.1', port: 8443, tls: true });
    // The rest of the file (other sections, other gateway keys) is not the doctor's to judge.
    await writeFile(join(dataDir, 'config.yaml'), 'gateway:\n  port: 9443\n  tls: false\n  corsOrigins: []\nscheduler:\n  timeZone: Europe/Berlin\n');
    expect(loadGatewayEndpoint({ AICO_DATA_DIR: dataDir })).toEqual({ host: '127.0.0.1', port: 9443, tls: false });
    expect(loadGatewayEndpoint({ AICO_DATA_DIR: dataDir, AICO_GATEWAY__PORT: '7000', AICO_GATEWAY__HOST: '127.0.0.2' })).toEqual({
      host: '127.0.0.2',
      port: 7000,
      tls: false,
    });
  });

  it('refuses an invalid port, naming where it came from', () => {
    expect(() => loadGatewayEndpoint({ AICO_DATA_DIR: dataDir, AICO_GATEWAY__PORT: '70000' })).toThrow(ConfigError);
    expect(() => loadGatewayEndpoint({ AICO_DATA_DIR: dataDir, AICO_GATEWAY__PORT: '70000' })).toThrow(/gateway\.port \(from AICO_GATEWAY__PORT\)/);
  });
});
