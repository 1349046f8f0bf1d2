// What a person using aico may do, by role. Deny by default: a role has exactly the permissions listed here, an
// unknown role has none, and a permission nobody lists is granted to nobody.
export enum Permission {
  ConversationSend = 'conversation.send',
  ConversationRead = 'conversation.read',
  ConsentManageOwn = 'consent.manage-own',
  SystemStatusRead = 'system.status.read',
  SystemLogsRead = 'system.logs.read',
  UsersManage = 'users.manage',
  TasksRead = 'tasks.read',
  TasksTrigger = 'tasks.trigger',
  KeysRotate = 'keys.rotate',
  KeysLock = 'keys.lock',
  /** Change the companion's persona (name, system prompt, sampling, expression). */
  PersonaManage = 'persona.manage',
  /** Import, pull, remove and choose models (the Models page). */
  ModelsManage = 'models.manage',
}

export enum Role {
  Admin = 'admin',
  User = 'user',
  Guest = 'guest',
}

const GUEST: readonly Permission[] = [Permission.ConversationSend, Permission.ConversationRead];
const USER: readonly Permission[] = [...GUEST, Permission.ConsentManageOwn, Permission.SystemStatusRead, Permission.TasksRead];
// Everything, persona.manage and models.manage included: those two are the admin's alone.
const ADMIN: readonly Permission[] = Object.values(Permission);

export const ROLE_PERMISSIONS: Readonly<Record<Role, ReadonlySet<Permission>>> = {
  [Role.Admin]: new Set(ADMIN),
  [Role.User]: new Set(USER),
  [Role.Guest]: new Set(GUEST),
};

/**
 * Topics a front-end client of each role may subscribe to (by prefix) and publish (exactly), for the gateway's
 * WebSocket bridge. Services are governed by the topic registry's publisher lists instead.
 */
export const ROLE_TOPICS: Readonly<Record<Role, { readonly subscribe: readonly string[]; readonly publish: readonly string[] }>> = {
  [Role.Admin]: {
    subscribe: ['conversation.', 'ui.', 'system.', 'security.keys.', 'privacy.'],
    publish: ['ui.activity.reported', 'ui.avatar.speak', 'ui.avatar.stop'],
  },
  [Role.User]: {
    subscribe: ['conversation.', 'ui.', 'system.health.', 'system.resources.', 'privacy.'],
    publish: ['ui.activity.reported', 'ui.avatar.speak', 'ui.avatar.stop'],
  },
  [Role.Guest]: { subscribe: ['conversation.', 'ui.'], publish: [] },
};
