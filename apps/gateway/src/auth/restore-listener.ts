// A restore of a backup ends every session of the restored database (storage revokes them in the staged copy). The
// gateway caches session validity for a few seconds; this drops that cache when a restore is done, so a token of a
// session that no longer exists stops working at once, not at the cache's next check.
import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { BusClient } from '@aico/bus';
import { StorageTopics } from '@aico/contracts';
import { AuthService } from './auth.service';

@Injectable()
export class RestoreListener implements OnApplicationBootstrap {
  constructor(
    private readonly bus: BusClient,
    private readonly auth: AuthService,
  ) {}

  onApplicationBootstrap(): void {
    this.bus.subscribe(StorageTopics.backupProgress, (event) => {
      if (event.payload.operation === 'restore' && event.payload.phase === 'done') this.auth.forgetCachedSessions();
    });
  }
}
