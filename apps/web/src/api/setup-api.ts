// First run (issue 16's route spec): while no user exists, the person at this machine creates the first admin in the
// browser. `GET /auth/setup` says whether that is still needed; `POST /auth/setup` creates the account and answers
// like a login (the gateway takes it only from a loopback address, and only once).
import type { Session } from '../core/app-store';
import type { Api } from './api-client';

export interface SetupInput {
  readonly username: string;
  readonly password: string;
  readonly displayName?: string;
}

export class SetupApi {
  constructor(private readonly api: Api) {}

  async needed(): Promise<boolean> {
    const answer = await this.api.json<{ needed?: boolean }>('GET', '/api/v1/auth/setup');
    return answer?.needed === true;
  }

  /** Creates the first admin and signs in as them. */
  async createFirstAdmin(input: SetupInput): Promise<Session> {
    const tokens = await this.api.json<{ accessToken: string; refreshToken: string; user: Session['user'] }>('POST', '/api/v1/auth/setup', {
      username: input.username,
      password: input.password,
      ...(input.displayName ? { displayName: input.displayName } : {}),
    });
    return this.api.adoptTokens(tokens);
  }
}
