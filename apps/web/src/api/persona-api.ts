// The persona routes (issue 16's route spec): anyone signed in reads it, an admin changes it. The persona is the
// protobuf JSON of aico.conversation.v1.Persona.
import type { PersonaJson } from '@aico/contracts';
import type { Api } from './api-client';

export type { PersonaJson } from '@aico/contracts';

/** What `PUT /persona` takes. */
export interface PersonaInput {
  readonly name: string;
  readonly systemPrompt: string;
  readonly temperature?: number;
  readonly topP?: number;
  readonly topK?: number;
  readonly maxTokens?: number;
  readonly expression: string;
}

export class PersonaApi {
  constructor(private readonly api: Api) {}

  get(): Promise<{ persona?: PersonaJson }> {
    return this.api.json('GET', '/api/v1/persona');
  }

  update(persona: PersonaInput): Promise<{ persona?: PersonaJson }> {
    return this.api.json('PUT', '/api/v1/persona', persona);
  }
}
