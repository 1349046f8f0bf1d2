import { Controller, Get, Param, Put, Req } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { GatewayTopics, type ConsentCheckRequest } from '@aico/contracts';
import { Permission } from '@aico/policy';
import { Access } from '../auth/access.decorator';
import { Doc } from '../http/doc.decorator';
import { ValidBody, type Input } from '../http/valid-input';
import type { AuthenticatedRequest } from '../auth/auth.guard';
import { ConsentBody, ConsentHistoryResponse, ConsentResponse, PurposeStateResponse } from '../http/schemas';
import { isoTimeOrNull, timestampOfIso } from '../time/iso-time';
import { ConsentService } from './consent.service';

@Controller('consent')
export class ConsentController {
  constructor(private readonly consent: ConsentService) {}

  @Doc('Consent per purpose for the current user', { response: ConsentResponse })
  @Get()
  @Access(Permission.ConsentManageOwn)
  async list(@Req() request: AuthenticatedRequest) {
    return { purposes: await this.consent.states(request.user!.sub) };
  }

  @Doc('Every consent decision of the current user', { response: ConsentHistoryResponse })
  @Get('history')
  @Access(Permission.ConsentManageOwn)
  async history(@Req() request: AuthenticatedRequest) {
    const records = await this.consent.history(request.user!.sub);
    return {
      history: records.map((record) => ({
        purpose: record.purpose,
        granted: record.granted,
        source: record.source,
        recordedAt: isoTimeOrNull(record.recordedAt),
      })),
    };
  }

  @Doc('Grant or withdraw consent for a purpose', { response: PurposeStateResponse })
  @Put(':purpose')
  @Access(Permission.ConsentManageOwn)
  decide(@Req() request: AuthenticatedRequest, @Param('purpose') purpose: string, @ValidBody(ConsentBody) { granted }: Input<typeof ConsentBody>) {
    return this.consent.decide(request.user!.sub, purpose, granted, 'gateway');
  }

  /** For services that need a purpose: no record means no. */
  @MessagePattern(GatewayTopics.consentCheck.topic)
  async check(@Payload() request: ConsentCheckRequest) {
    const state = await this.consent.check(request.userId, request.purpose);
    return { granted: state.granted, essential: state.essential, ...(state.decidedAt ? { decidedAt: timestampOfIso(state.decidedAt) } : {}) };
  }
}
