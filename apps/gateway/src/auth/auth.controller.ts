// Logging in and out, token refresh, and the caller's own sessions: list them, end one, or end them all ("log out
// everywhere"). A session id of another user answers 404 like an unknown one, so ids cannot be probed. Answers that
// carry tokens say no cache may keep them (Cache-Control: no-store; Pragma for HTTP/1.0 caches).
import { applyDecorators, Controller, Delete, Get, Header, HttpCode, Param, Post, Req } from '@nestjs/common';
import { notFound } from '../http/api-error';
import { Doc } from '../http/doc.decorator';
import { ValidBody, type Input } from '../http/valid-input';
import { LoginBody, LogoutAllResponse, RefreshBody, SessionsResponse, TokensResponse } from '../http/schemas';
import { isoTime } from '../time/iso-time';
import { Access } from './access.decorator';
import type { AuthenticatedRequest } from './auth.guard';
import { AuthService } from './auth.service';
import { LoginThrottled } from './rate-limit';

const NotStored = () => applyDecorators(Header('Cache-Control', 'no-store'), Header('Pragma', 'no-cache'));

@Controller('auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Doc('Log in: an access token and a refresh token', { response: TokensResponse })
  @Post('login')
  @HttpCode(200)
  @Access('public')
  @LoginThrottled()
  @NotStored()
  login(@ValidBody(LoginBody) { username, password, client }: Input<typeof LoginBody>) {
    return this.auth.login(username, password, client ?? 'api');
  }

  @Doc('Exchange a refresh token for new tokens (the old one is spent)', { response: TokensResponse })
  @Post('refresh')
  @HttpCode(200)
  @Access('public')
  @LoginThrottled()
  @NotStored()
  refresh(@ValidBody(RefreshBody) { refreshToken }: Input<typeof RefreshBody>) {
    return this.auth.refresh(refreshToken);
  }

  @Doc('End this session')
  @Post('logout')
  @HttpCode(204)
  @Access('authenticated')
  async logout(@Req() request: AuthenticatedRequest) {
    await this.auth.logout(request.user!.sid);
  }

  @Doc("The caller's open sessions, this one marked current", { response: SessionsResponse })
  @Get('sessions')
  @Access('authenticated')
  async sessions(@Req() request: AuthenticatedRequest) {
    const sessions = await this.auth.openSessions(request.user!.sub);
    // Storage stamps every session with both times.
    return {
      sessions: sessions.map((session) => ({
        id: session.id,
        client: session.client,
        createdAt: isoTime(session.createdAt!),
        expiresAt: isoTime(session.expiresAt!),
        current: session.id === request.user!.sid,
      })),
    };
  }

  @Doc("End one of the caller's sessions (its tokens and WebSockets stop working)")
  @Delete('sessions/:id')
  @HttpCode(204)
  @Access('authenticated')
  async endSession(@Req() request: AuthenticatedRequest, @Param('id') id: string) {
    if (!(await this.auth.endSession(request.user!.sub, id))) throw notFound(`You have no open session "${id}".`);
  }

  @Doc('Log out everywhere: end every session of the caller, this one included', { response: LogoutAllResponse })
  @Post('logout-all')
  @HttpCode(200)
  @Access('authenticated')
  async logoutAll(@Req() request: AuthenticatedRequest) {
    return { ended: await this.auth.revokeAllSessions(request.user!.sub) };
  }
}
