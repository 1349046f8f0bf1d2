// The launchd agent: read back with a strict XML reader into the property list launchd would see, values with
// XML's special characters included; and the reader itself refuses malformed documents.
import { renderLaunchdPlist } from './launchd-plist';
import { describeService, type ServiceDefinitionInput } from './service-definition';
import { parsePlist, parseXml } from './xml-reader.test-helpers';

const input: ServiceDefinitionInput = {
  platform: 'darwin',
  nodePath: '/opt/homebrew/bin/node',
  entryPoint: '/Users/ada/aico/dist/apps/supervisor/apps/supervisor/src/main.js',
  dataDir: '/Users/ada/Library/Application Support/aico',
  homeDir: '/Users/ada',
};

describe('renderLaunchdPlist', () => {
  it('is a property list that runs node with the supervisor at login, restarts it after a crash, and logs to ~/Library/Logs', () => {
    const plist = renderLaunchdPlist(describeService({ ...input, masterKeyFile: '/Users/ada/.aico/master.key' }));
    expect(plist.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN"')).toBe(true);
    expect(parsePlist(plist)).toEqual({
      Label: 'dev.aico.supervisor',
      ProgramArguments: ['/opt/homebrew/bin/node', '/Users/ada/aico/dist/apps/supervisor/apps/supervisor/src/main.js'],
      WorkingDirectory: '/Users/ada/Library/Application Support/aico',
      EnvironmentVariables: {
        AICO_PROFILE: 'production',
        AICO_DATA_DIR: '/Users/ada/Library/Application Support/aico',
        AICO_MASTER_KEY_FILE: '/Users/ada/.aico/master.key',
        AICO_SUPERVISOR__FORWARD_OUTPUT: 'false',
      },
      RunAtLoad: true,
      // Restarted unless it exited 0, which is what a clean stop ends with.
      KeepAlive: { SuccessfulExit: false },
      ThrottleInterval: 5,
      ExitTimeOut: 90,
      Umask: 63,
      ProcessType: 'Standard',
      StandardOutPath: '/Users/ada/Library/Logs/aico/supervisor.log',
      StandardErrorPath: '/Users/ada/Library/Logs/aico/supervisor.err.log',
    });
  });

  it("escapes XML's special characters so every value reads back unchanged", () => {
    const awkward = `/Users/ada/R&D <"aico"> 'x' 100% $HOME`;
    const plist = renderLaunchdPlist(describeService({ ...input, entryPoint: `${awkward}/main.js`, dataDir: awkward, masterKeyFile: `${awkward}/key` }));
    expect(plist).toContain('R&amp;D &lt;&quot;aico&quot;&gt; &apos;x&apos;');
    const read = parsePlist(plist) as Record<string, unknown>;
    expect(read['ProgramArguments']).toEqual(['/opt/homebrew/bin/node', `${awkward}/main.js`]);
    expect(read['WorkingDirectory']).toBe(awkward);
    expect(read['EnvironmentVariables']).toEqual(expect.objectContaining({ AICO_DATA_DIR: awkward, AICO_MASTER_KEY_FILE: `${awkward}/key` }));
  });
});

describe('the strict XML reader the plist tests rely on', () => {
  const document = (body: string) => `<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0">${body}</plist>`;

  it('reads entities and character references', () => {
    expect(parsePlist(document('<string>a &amp; b &lt;c&gt; &#233; &#x1F600;</string>'))).toBe('a & b <c> é 😀');
  });

  it.each([
    ['a bare ampersand', document('<string>R&D</string>'), 'bare "&"'],
    ['an unknown entity', document('<string>&nbsp;</string>'), 'unknown entity'],
    ['a mismatched end tag', document('<dict><key>a</key><string>b</dict></string>'), 'closes'],
    ['an unclosed element', '<plist version="1.0"><string>a</string>', 'not closed'],
    ['a duplicate attribute', '<plist version="1.0" version="1.0"><true/></plist>', 'appears twice'],
    ['an unquoted attribute', '<plist version=1.0><true/></plist>', 'quoted attribute'],
    ['a control character', document('<string>a\u0001b</string>'), 'not allowed'],
    ['a second root', `${document('<true/>')}<plist/>`, 'after the root'],
    ['"--" in a comment', `<!-- a -- b --><plist version="1.0"><true/></plist>`, 'inside a comment'],
  ])('refuses %s', (_, xml, message) => {
    expect(() => parseXml(xml)).toThrow(message);
  });

  it('refuses a dict whose keys and values do not alternate', () => {
    expect(() => parsePlist(document('<dict><key>a</key><key>b</key><string>c</string></dict>'))).toThrow('alternate');
  });
});
