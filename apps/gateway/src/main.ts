// The gateway process: the only door for front ends (REST + WebSocket over TLS), reaching every app through the bus.
import 'reflect-metadata';
import { runService } from '@aico/service';
import { GatewayAppModule } from './gateway-app.module';
import { gatewayConfigSchema } from './gateway.config';
import { gatewayHttp } from './gateway-http';

void runService({ identity: 'gateway', module: GatewayAppModule, configSchema: gatewayConfigSchema, http: gatewayHttp });
