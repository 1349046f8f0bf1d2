// Consent per purpose, as history: every grant or withdrawal is a record in storage, the latest one decides, and no
// record means no (non-essential purposes start denied). Changes are announced on `privacy.consent.changed`;
// services that need a purpose ask `privacy.consent.check`.
import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { BusClient } from '@aico/bus';
import { GatewayTopics, RecordKind, type ConsentRecord } from '@aico/contracts';
import { SERVICE_CONFIG } from '@aico/service';
import { StorageClient } from '@aico/storage-client';
import { notFound } from '../http/api-error';
import type { GatewayConfig } from '../gateway.config';
import { isoTime, isoTimeOrNull, msOrZero } from '../time/iso-time';

export interface PurposeState {
  readonly purpose: string;
  readonly essential: boolean;
  readonly granted: boolean;
  readonly decidedAt: string | null;
}

@Injectable()
export class ConsentService {
  constructor(
    @Inject(SERVICE_CONFIG) private readonly config: GatewayConfig,
    private readonly storage: StorageClient,
    private readonly bus: BusClient,
  ) {}

  async history(userId: string): Promise<ConsentRecord[]> {
    const records: ConsentRecord[] = [];
    for await (const record of this.storage.allRecords(RecordKind.CONSENT, userId, 1000)) if (record.kind.case === 'consent') records.push(record.kind.value);
    return records.sort((a, b) => msOrZero(a.recordedAt) - msOrZero(b.recordedAt));
  }

  async states(userId: string): Promise<PurposeState[]> {
    const history = await this.history(userId);
    const purposes = [...new Set([...this.config.gateway.essentialPurposes, ...this.config.gateway.consentPurposes])];
    return purposes.map((purpose) => this.state(purpose, history));
  }

  async check(userId: string, purpose: string): Promise<PurposeState> {
    return this.state(purpose, userId ? await this.history(userId) : []);
  }

  async decide(userId: string, purpose: string, granted: boolean, source: string): Promise<PurposeState> {
    if (!this.config.gateway.consentPurposes.includes(purpose))
      throw notFound(`"${purpose}" is not a consent purpose (purposes: ${this.config.gateway.consentPurposes.join(', ')}).`);
    const recordedAt = timestampFromMs(Date.now());
    // Ids sort by time (ms, zero-padded) so a user's history pages in order.
    const id = `${String(Date.now()).padStart(15, '0')}-${randomUUID()}`;
    await this.storage.putRecord({ kind: { case: 'consent', value: { id, userId, purpose, granted, recordedAt, source } } });
    await this.bus.publish(GatewayTopics.consentChanged, { userId, purpose, granted, changedAt: recordedAt, source });
    return { purpose, essential: false, granted, decidedAt: isoTime(recordedAt) };
  }

  private state(purpose: string, history: readonly ConsentRecord[]): PurposeState {
    if (this.config.gateway.essentialPurposes.includes(purpose)) return { purpose, essential: true, granted: true, decidedAt: null };
    const latest = history.filter((record) => record.purpose === purpose).at(-1);
    return { purpose, essential: false, granted: latest?.granted ?? false, decidedAt: isoTimeOrNull(latest?.recordedAt) };
  }
}
