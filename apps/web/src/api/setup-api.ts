// First run (issue 16's route spec): while no user exists, the person at this machine creates the first admin in the
// browser. `GET /auth/setup` says whether that is still needed; `POST /auth/setup` creates the account and answers
// like a login (the gateway takes it only from a loopback address, and only once). Typed by the generated OpenAPI types.
import type { Session } from '../core/app-store';
import type { Api } from './api-client';
import type { RouteBody } from './route-types';

export type SetupInput = RouteBody<'/api/v1/auth/setup', 'post'>;

export class SetupApi {
  constructor(private readonly api: Api) {}

  async needed(): Promise<boolean> {
    const answer = await this.api.call(this.api.client.GET('/api/v1/auth/setup'));
    return answer.needed === true;
  }

  /** Creates the first admin and signs in as them. */
  async createFirstAdmin(input: SetupInput): Promise<Session> {
    const body = { username: input.username, password: input.password, ...(input.displayName ? { displayName: input.displayName } : {}) };
    return this.api.adoptTokens(await this.api.call(this.api.client.POST('/api/v1/auth/setup', { body })));
  }
}
