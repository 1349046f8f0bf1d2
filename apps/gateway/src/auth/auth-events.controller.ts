// What the auth module hears on the bus (libs/bus/README.md, "One way to use the bus in an app"): key rotations,
// so new tokens are signed with the newest token-signing key, and restores, which end sessions behind the
// gateway's session cache. ZmqServer subscribes these before the bus client connects, so none is missed at start.
import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { SecurityTopics, StorageTopics, type BackupProgress, type KeyRotated } from '@aico/contracts';
import { AuthService } from './auth.service';
import { TokenService } from './token.service';

@Controller()
export class AuthEventsController {
  constructor(
    private readonly tokens: TokenService,
    private readonly auth: AuthService,
  ) {}

  @EventPattern(SecurityTopics.rotated.topic)
  keyRotated(@Payload() rotated: KeyRotated): void {
    this.tokens.keyRotated(rotated);
  }

  /** A finished restore revoked sessions in the restored database: the next use of each token asks storage again. */
  @EventPattern(StorageTopics.backupProgress.topic)
  backupProgress(@Payload() progress: BackupProgress): void {
    this.auth.backupProgressed(progress);
  }
}
