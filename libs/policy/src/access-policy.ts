// The one place access decisions are made. Every decision says why, so the caller can log it and tell the user.
import { mayPublish, type TopicRegistry } from '@aico/contracts';
import { type Permission, Role, ROLE_PERMISSIONS, ROLE_TOPICS } from './permissions';

export type Subject = { readonly kind: 'user'; readonly role: string } | { readonly kind: 'service'; readonly identity: string };

export interface Decision {
  readonly allowed: boolean;
  readonly reason: string;
}

const allow = (reason: string): Decision => ({ allowed: true, reason });
const deny = (reason: string): Decision => ({ allowed: false, reason });

function isRole(value: string): value is Role {
  return (Object.values(Role) as string[]).includes(value);
}

function describe(subject: Subject): string {
  return subject.kind === 'user' ? `role "${subject.role}"` : `service "${subject.identity}"`;
}

export class AccessPolicy {
  constructor(private readonly registry: TopicRegistry) {}

  /** May a person with this role do this? Services hold no person's permissions. */
  can(subject: Subject, permission: Permission | string): Decision {
    if (subject.kind !== 'user') return deny(`${describe(subject)} acts through topics, not user permissions`);
    if (!isRole(subject.role)) return deny(`${describe(subject)} is not a known role`);
    return ROLE_PERMISSIONS[subject.role].has(permission as Permission)
      ? allow(`${describe(subject)} has "${permission}"`)
      : deny(`${describe(subject)} lacks "${permission}"`);
  }

  /** May the subject publish (or, for a request topic, ask) on `topic`? */
  canPublish(subject: Subject, topic: string): Decision {
    const definition = this.registry.get(topic);
    if (!definition) return deny(`"${topic}" is not a registered topic`);
    if (subject.kind === 'service') {
      return mayPublish(definition.publishers, subject.identity)
        ? allow(`${describe(subject)} may publish ${topic}`)
        : deny(`${describe(subject)} is not among the publishers of ${topic}`);
    }
    if (!isRole(subject.role)) return deny(`${describe(subject)} is not a known role`);
    return ROLE_TOPICS[subject.role].publish.includes(topic)
      ? allow(`${describe(subject)} may publish ${topic}`)
      : deny(`${describe(subject)} may not publish ${topic}`);
  }

  /** May a front-end client of this role subscribe to topics starting with `prefix`? */
  canSubscribe(subject: Subject, prefix: string): Decision {
    if (subject.kind === 'service') return allow(`${describe(subject)} may subscribe (services receive what the registry lets others publish)`);
    if (!isRole(subject.role)) return deny(`${describe(subject)} is not a known role`);
    const granted = ROLE_TOPICS[subject.role].subscribe.find((allowed) => prefix.startsWith(allowed));
    return granted ? allow(`${describe(subject)} may read ${granted}*`) : deny(`${describe(subject)} may not read ${prefix}*`);
  }
}
