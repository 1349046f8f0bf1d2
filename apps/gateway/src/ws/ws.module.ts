// The live bridge: the WebSocket endpoint on the gateway's server, relaying bus events to the users who may see
// them and a few frames from front ends to the bus. Other features send a user frames through USER_FRAMES.
import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { HealthModule } from '../health/health.module';
import { USER_FRAMES } from './user-frames';
import { WsBridge } from './ws-bridge';

@Module({
  imports: [AuthModule, HealthModule],
  providers: [WsBridge, { provide: USER_FRAMES, useExisting: WsBridge }],
  exports: [WsBridge, USER_FRAMES],
})
export class WsModule {}
