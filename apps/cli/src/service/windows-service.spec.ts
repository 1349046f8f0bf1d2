// The Windows service files: the WinSW configuration read back as XML, the supervisor's path quoted as node.exe
// reads its command line, and register/remove scripts that carry no path cmd.exe could misparse.
import { describeService, type ServiceDefinitionInput } from './service-definition';
import { renderWindowsInstallScript, renderWindowsUninstallScript, renderWinswXml, windowsArgument } from './windows-service';
import { childElements, parseXml, textOf } from './xml-reader.test-helpers';

const input: ServiceDefinitionInput = {
  platform: 'win32',
  nodePath: 'C:\\Program Files\\nodejs\\node.exe',
  entryPoint: 'C:\\Users\\Ada Lovelace\\aico\\dist\\apps\\supervisor\\apps\\supervisor\\src\\main.js',
  dataDir: 'C:\\Users\\Ada Lovelace\\AppData\\Roaming\\aico',
  homeDir: 'C:\\Users\\Ada Lovelace',
};

/**
 * CommandLineToArgvW's rules (what node.exe's argv comes from), for one argument: 2n backslashes before a quote are
 * n backslashes and the quote toggles quoting; 2n+1 are n and a literal quote; other backslashes are literal.
 */
function readWindowsArguments(line: string): string[] {
  const args: string[] = [];
  let current = '';
  let inQuotes = false;
  let started = false;
  for (let index = 0; index < line.length; index++) {
    const character = line[index]!;
    if (character === '\\') {
      let count = 0;
      while (line[index + count] === '\\') count++;
      if (line[index + count] === '"') {
        current += '\\'.repeat(Math.floor(count / 2));
        if (count % 2 === 1) current += '"';
        else inQuotes = !inQuotes;
        index += count;
      } else {
        current += '\\'.repeat(count);
        index += count - 1;
      }
      started = true;
    } else if (character === '"') {
      inQuotes = !inQuotes;
      started = true;
    } else if (/\s/.test(character) && !inQuotes) {
      if (started) args.push(current);
      current = '';
      started = false;
    } else {
      current += character;
      started = true;
    }
  }
  if (started) args.push(current);
  return args;
}

describe('renderWinswXml', () => {
  it('describes a WinSW service that runs node with the supervisor, restarts it, stops it parent first and logs to the data directory', () => {
    const xml = renderWinswXml(describeService({ ...input, masterKeyFile: 'C:\\Users\\Ada Lovelace\\aico\\master.key' }));
    expect(xml).toContain('\r\n');
    const service = parseXml(xml);
    expect(service.name).toBe('service');
    const elements = childElements(service);
    const value = (name: string) => elements.filter((element) => element.name === name).map(textOf);
    expect(value('id')).toEqual(['aico']);
    expect(value('executable')).toEqual(['C:\\Program Files\\nodejs\\node.exe']);
    expect(readWindowsArguments(value('arguments')[0]!)).toEqual([input.entryPoint]);
    expect(value('workingdirectory')).toEqual([input.dataDir]);
    expect(elements.filter((element) => element.name === 'env').map((element) => element.attributes)).toEqual([
      { name: 'AICO_PROFILE', value: 'production' },
      { name: 'AICO_DATA_DIR', value: input.dataDir },
      { name: 'AICO_MASTER_KEY_FILE', value: 'C:\\Users\\Ada Lovelace\\aico\\master.key' },
      { name: 'AICO_SUPERVISOR__FORWARD_OUTPUT', value: 'false' },
    ]);
    expect(elements.find((element) => element.name === 'onfailure')?.attributes).toEqual({ action: 'restart', delay: '5 sec' });
    expect(value('stoptimeout')).toEqual(['90 sec']);
    expect(value('stopparentprocessfirst')).toEqual(['true']);
    expect(value('startmode')).toEqual(['Automatic']);
    expect(value('logpath')).toEqual(['C:\\Users\\Ada Lovelace\\AppData\\Roaming\\aico\\logs\\service']);
  });

  it('escapes XML in paths (& and apostrophes are legal in Windows paths)', () => {
    const dataDir = "C:\\Users\\R&D <team> O'Neil\\aico";
    const service = parseXml(renderWinswXml(describeService({ ...input, dataDir })));
    const env = childElements(service).find((element) => element.name === 'env' && element.attributes['name'] === 'AICO_DATA_DIR');
    expect(env?.attributes['value']).toBe(dataDir);
  });

  it('refuses paths Windows or WinSW cannot take: relative, with a double quote, or with % (WinSW expands %NAME%)', () => {
    expect(() => describeService({ ...input, entryPoint: 'dist\\main.js' })).toThrow('absolute path');
    expect(() => describeService({ ...input, dataDir: 'C:\\a"b' })).toThrow('double quote');
    expect(() => describeService({ ...input, dataDir: 'C:\\%USERPROFILE%\\aico' })).toThrow('percent sign');
  });
});

describe('windowsArgument', () => {
  it.each([
    'C:\\Program Files\\aico\\main.js',
    'C:\\trailing backslash\\',
    'C:\\ends with two\\\\',
    'has "quotes" inside',
    'backslashes before a quote \\\\"',
    '',
  ])('quotes %j so CommandLineToArgvW reads it back whole', (value) => {
    expect(readWindowsArguments(`node.exe ${windowsArgument(value)}`)).toEqual(['node.exe', value]);
  });
});

describe('the register and remove scripts', () => {
  const definition = describeService({ ...input, dataDir: 'C:\\Users\\R&D ^100\\aico' });

  it('name no path of the machine: they run the wrapper from their own folder (%~dp0)', () => {
    for (const script of [renderWindowsInstallScript(definition), renderWindowsUninstallScript(definition)]) {
      expect(script).toContain('cd /d "%~dp0"');
      expect(script).not.toContain('R&D');
      expect(script.split('\r\n').length).toBeGreaterThan(4);
    }
    expect(renderWindowsInstallScript(definition)).toContain('"aico-service.exe" install || exit /b 1');
    expect(renderWindowsUninstallScript(definition)).toContain('"aico-service.exe" uninstall || exit /b 1');
  });

  it('say that the service cannot read the user keychain as LocalSystem', () => {
    expect(renderWindowsInstallScript(definition)).toContain('LocalSystem');
  });
});
