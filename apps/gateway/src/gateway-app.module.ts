// The gateway app: the shared objects (GatewayCoreModule) and one module per feature, each exporting its service
// (gateway-controllers.ts lists them in order).
import { Module } from '@nestjs/common';
import { GATEWAY_FEATURE_MODULES } from './gateway-controllers';
import { GatewayCoreModule } from './gateway-core.module';

@Module({ imports: [GatewayCoreModule, ...GATEWAY_FEATURE_MODULES] })
export class GatewayAppModule {}
