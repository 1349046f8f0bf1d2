import { SchedulerTopics } from './scheduler-topics';
import { ConversationTopics } from './conversation-topics';
import { ModelsTopics } from './models-topics';
import { MonitorTopics } from './monitor-topics';
import { SecurityTopics } from './security-topics';
import { StorageTopics } from './storage-topics';
import { GatewayTopics } from './gateway-topics';
import { SupervisorTopics } from './supervisor-topics';
import { SystemTopics } from './system-topics';
import { TopicRegistry } from './topic-registry';

/** Every topic aico's contracts define. Apps pass this to their bus client. */
export const defaultTopicRegistry = new TopicRegistry([
  ...Object.values(SystemTopics),
  ...Object.values(SecurityTopics),
  ...Object.values(StorageTopics),
  ...Object.values(MonitorTopics),
  ...Object.values(ModelsTopics),
  ...Object.values(ConversationTopics),
  ...Object.values(SchedulerTopics),
  ...Object.values(GatewayTopics),
  ...Object.values(SupervisorTopics),
]);
