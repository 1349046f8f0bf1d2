import { Controller, Get, HttpCode, Inject, Res } from '@nestjs/common';
import type { Response } from 'express';
import { SERVICE_CONFIG, SERVICE_INFO, type ServiceInfo } from '@aico/service';
import { Access } from '../auth/access.decorator';
import type { GatewayConfig } from '../gateway.config';
import { Doc } from '../http/doc.decorator';
import { LivenessResponse, ReadinessResponse } from '../http/schemas';
import { HeartbeatTracker } from './heartbeat-tracker';

@Controller('health')
export class HealthController {
  constructor(
    private readonly tracker: HeartbeatTracker,
    @Inject(SERVICE_INFO) private readonly info: ServiceInfo,
    @Inject(SERVICE_CONFIG) private readonly config: GatewayConfig,
  ) {}

  /** Liveness: the gateway answers. */
  @Doc('Liveness', { response: LivenessResponse })
  @Get()
  @Access('public')
  @HttpCode(200)
  live() {
    return { status: 'ok', service: this.info.identity, version: this.info.version };
  }

  /** Readiness: every required app heartbeating and the bus carrying a round trip; 503 otherwise. */
  @Doc('Readiness from every app heartbeat and a bus round trip (503 when not ready)', { response: ReadinessResponse, alsoAnswers: [503] })
  @Get('ready')
  @Access('public')
  async ready(@Res({ passthrough: true }) response: Response) {
    const apps = this.tracker.apps();
    const busRoundTripMs = await this.tracker.busRoundTripMs();
    const missing = this.config.gateway.requiredApps.filter((name) => !apps.some((app) => app.service === name && app.status === 'up'));
    const ready = missing.length === 0 && busRoundTripMs !== undefined;
    response.status(ready ? 200 : 503);
    return { status: ready ? 'ready' : 'not-ready', ...(missing.length > 0 ? { missing } : {}), bus: { roundTripMs: busRoundTripMs ?? null }, apps };
  }
}
