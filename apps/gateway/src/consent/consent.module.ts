// Consent per purpose: the REST routes for the user, and `privacy.consent.check` for services that need a purpose.
import { Module } from '@nestjs/common';
import { ConsentController } from './consent.controller';
import { ConsentService } from './consent.service';

@Module({ controllers: [ConsentController], providers: [ConsentService], exports: [ConsentService] })
export class ConsentModule {}
