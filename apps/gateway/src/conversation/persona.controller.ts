// The companion's persona (name, system prompt, sampling, the avatar's expression): everyone logged in reads it,
// only an admin (persona.manage) changes it. The conversation service keeps the one record.
import { Controller, Get, Put, Req } from '@nestjs/common';
import { toJson } from '@bufbuild/protobuf';
import { PersonaResponseSchema } from '@aico/contracts';
import { Permission } from '@aico/policy';
import { Access } from '../auth/access.decorator';
import type { AuthenticatedRequest } from '../auth/auth.guard';
import { PersonaBody, PersonaResponse } from '../http/conversation-schemas';
import { Doc } from '../http/doc.decorator';
import { ValidBody, type Input } from '../http/valid-input';
import { PersonaService } from './persona.service';

@Controller('persona')
export class PersonaController {
  constructor(private readonly persona: PersonaService) {}

  @Doc("The companion's persona", { response: PersonaResponse })
  @Get()
  @Access('authenticated')
  async get() {
    return toJson(PersonaResponseSchema, await this.persona.get());
  }

  @Doc("Change the companion's persona (admins)", { response: PersonaResponse })
  @Put()
  @Access(Permission.PersonaManage)
  async update(@Req() request: AuthenticatedRequest, @ValidBody(PersonaBody) input: Input<typeof PersonaBody>) {
    return toJson(PersonaResponseSchema, await this.persona.update(request.user!.sub, input));
  }
}
