import { homedir } from 'node:os';
import { join } from 'node:path';

/** The per-platform data directory (Linux XDG, macOS Application Support, Windows %APPDATA%). */
export function platformDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  switch (platform) {
    case 'darwin':
      return join(homedir(), 'Library', 'Application Support', 'aico');
    case 'win32':
      return join(env['APPDATA'] ?? join(homedir(), 'AppData', 'Roaming'), 'aico');
    default:
      return join(env['XDG_DATA_HOME'] || join(homedir(), '.local', 'share'), 'aico');
  }
}
