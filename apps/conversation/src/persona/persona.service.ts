// The persona: one storage record, read once and kept; the default until an admin saves one.
import { Injectable } from '@nestjs/common';
import { create } from '@bufbuild/protobuf';
import { timestampNow } from '@bufbuild/protobuf/wkt';
import { PersonaSchema, RecordKind, type Persona } from '@aico/contracts';
import { StorageClient } from '@aico/storage-client';
import { storageFailure } from '../threads/storage-failure';
import { checkPersona, defaultPersona, PERSONA_ID } from './persona-rules';

@Injectable()
export class PersonaService {
  private cached: Promise<Persona> | undefined;

  constructor(private readonly storage: StorageClient) {}

  current(): Promise<Persona> {
    this.cached ??= this.load().catch((error: unknown) => {
      // Not cached: the next reply asks storage again.
      this.cached = undefined;
      throw storageFailure(error);
    });
    return this.cached;
  }

  async update(persona: Persona | undefined, updatedBy: string): Promise<Persona> {
    const checked = checkPersona(persona ?? create(PersonaSchema));
    const saved = create(PersonaSchema, { ...checked, updatedAt: timestampNow(), updatedBy });
    try {
      await this.storage.putRecord({ kind: { case: 'persona', value: saved } });
    } catch (error) {
      throw storageFailure(error);
    }
    this.cached = Promise.resolve(saved);
    return saved;
  }

  private async load(): Promise<Persona> {
    const found = await this.storage.getRecord(RecordKind.PERSONA, PERSONA_ID);
    return found.found && found.record?.kind.case === 'persona' ? found.record.kind.value : defaultPersona();
  }
}
