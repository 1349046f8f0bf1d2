// The persona routes (issue 16's route spec): anyone signed in reads it, an admin changes it. Called through
// openapi-fetch with the generated OpenAPI types; the persona is also held to the protobuf JSON of
// aico.conversation.v1.Persona, which the settings page uses.
import type { PersonaJson } from '@aico/contracts';
import type { Api } from './api-client';
import type { RouteBody } from './route-types';

export type { PersonaJson } from '@aico/contracts';

/** What `PUT /persona` takes. */
export type PersonaInput = RouteBody<'/api/v1/persona', 'put'>;

export class PersonaApi {
  constructor(private readonly api: Api) {}

  get(): Promise<{ persona?: PersonaJson }> {
    return this.api.call(this.api.client.GET('/api/v1/persona'));
  }

  update(persona: PersonaInput): Promise<{ persona?: PersonaJson }> {
    return this.api.call(this.api.client.PUT('/api/v1/persona', { body: persona }));
  }
}
