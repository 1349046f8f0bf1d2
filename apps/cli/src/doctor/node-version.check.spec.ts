import { checkNodeVersion } from './node-version.check';

describe('checkNodeVersion', () => {
  it.each(['20.19.0', '20.20.2', '22.1.0', 'v24.0.0'])('accepts Node.js %s', (version) => {
    expect(checkNodeVersion(version)).toEqual({ name: 'node', status: 'ok', detail: `Node.js ${version} (aico needs 20.19 or newer).` });
  });

  it.each(['20.18.3', '18.20.4', '16.0.0'])('fails Node.js %s, naming it and what to install', (version) => {
    const result = checkNodeVersion(version);
    expect(result.status).toBe('fail');
    expect(result.detail).toContain(`Node.js ${version} is running; aico needs 20.19 or newer`);
    expect(result.fix).toContain('Install Node.js 22 LTS (or any 20.19+)');
  });
});
