import { defaultTopicRegistry } from '@aico/contracts';
import { AccessPolicy } from './access-policy';
import { Permission, Role } from './permissions';

const policy = new AccessPolicy(defaultTopicRegistry);

describe('AccessPolicy', () => {
  it('grants each role exactly its permissions and denies everything else', () => {
    expect(policy.can({ kind: 'user', role: Role.Admin }, Permission.KeysRotate).allowed).toBe(true);
    expect(policy.can({ kind: 'user', role: Role.User }, Permission.KeysRotate)).toEqual({ allowed: false, reason: 'role "user" lacks "keys.rotate"' });
    expect(policy.can({ kind: 'user', role: Role.User }, Permission.SystemStatusRead).allowed).toBe(true);
    expect(policy.can({ kind: 'user', role: Role.Guest }, Permission.SystemStatusRead).allowed).toBe(false);
    expect(policy.can({ kind: 'user', role: Role.Guest }, Permission.ConversationSend).allowed).toBe(true);
  });

  it('lets only admins change the persona and the models', () => {
    for (const permission of [Permission.PersonaManage, Permission.ModelsManage]) {
      expect([permission, policy.can({ kind: 'user', role: Role.Admin }, permission).allowed]).toEqual([permission, true]);
      expect([permission, policy.can({ kind: 'user', role: Role.User }, permission).allowed]).toEqual([permission, false]);
      expect([permission, policy.can({ kind: 'user', role: Role.Guest }, permission).allowed]).toEqual([permission, false]);
    }
    expect(Permission.PersonaManage).toBe('persona.manage');
    expect(Permission.ModelsManage).toBe('models.manage');
  });

  it('denies by default: unknown roles, unknown permissions, services asking for user permissions', () => {
    expect(policy.can({ kind: 'user', role: 'superuser' }, Permission.ConversationSend)).toEqual({
      allowed: false,
      reason: 'role "superuser" is not a known role',
    });
    expect(policy.can({ kind: 'user', role: Role.Admin }, 'payments.send').allowed).toBe(false);
    expect(policy.can({ kind: 'service', identity: 'gateway' }, Permission.UsersManage).allowed).toBe(false);
  });

  it('lets services publish exactly what the topic registry says', () => {
    expect(policy.canPublish({ kind: 'service', identity: 'keys' }, 'security.keys.rotated').allowed).toBe(true);
    expect(policy.canPublish({ kind: 'service', identity: 'gateway' }, 'security.keys.rotated')).toEqual({
      allowed: false,
      reason: 'service "gateway" is not among the publishers of security.keys.rotated',
    });
    expect(policy.canPublish({ kind: 'service', identity: 'keys' }, 'no.such.topic').allowed).toBe(false);
  });

  it('limits what front-end clients of each role may read and send', () => {
    expect(policy.canSubscribe({ kind: 'user', role: Role.Admin }, 'system.log.').allowed).toBe(true);
    expect(policy.canSubscribe({ kind: 'user', role: Role.User }, 'system.log.').allowed).toBe(false);
    expect(policy.canSubscribe({ kind: 'user', role: Role.User }, 'system.health.heartbeat').allowed).toBe(true);
    expect(policy.canSubscribe({ kind: 'user', role: Role.Guest }, 'security.').allowed).toBe(false);
    // Messages go by POST /conversation/messages only: no role publishes them over the WebSocket.
    for (const role of [Role.Admin, Role.User, Role.Guest])
      expect(policy.canPublish({ kind: 'user', role }, 'conversation.message.received').allowed).toBe(false);
    expect(policy.canPublish({ kind: 'user', role: Role.User }, 'ui.avatar.stop').allowed).toBe(true);
    expect(policy.canPublish({ kind: 'user', role: Role.Guest }, 'ui.avatar.speak').allowed).toBe(false);
    expect(policy.canPublish({ kind: 'user', role: Role.Guest }, 'system.service.shutdown').allowed).toBe(false);
    expect(policy.canSubscribe({ kind: 'user', role: 'nobody' }, 'conversation.').allowed).toBe(false);
  });
});
