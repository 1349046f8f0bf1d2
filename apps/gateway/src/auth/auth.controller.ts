import { Body, Controller, HttpCode, Post, Req } from '@nestjs/common';
import { Throttle } from '@nestjs/throttler';
import { parseInput } from '../http/validation';
import { LoginBody, RefreshBody } from '../http/schemas';
import { Doc } from '../http/openapi';
import { Access } from './access.decorator';
import type { AuthenticatedRequest } from './auth.guard';
import { AuthService } from './auth.service';
import { LOGIN_THROTTLE } from './rate-limit';

@Controller('auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Doc('Log in: an access token and a refresh token', { body: LoginBody })
  @Post('login')
  @HttpCode(200)
  @Access('public')
  @Throttle(LOGIN_THROTTLE)
  login(@Body() body: unknown) {
    const { username, password, client } = parseInput(LoginBody, body);
    return this.auth.login(username, password, client ?? 'api');
  }

  @Doc('Exchange a refresh token for new tokens (the old one is spent)', { body: RefreshBody })
  @Post('refresh')
  @HttpCode(200)
  @Access('public')
  @Throttle(LOGIN_THROTTLE)
  refresh(@Body() body: unknown) {
    return this.auth.refresh(parseInput(RefreshBody, body).refreshToken);
  }

  @Doc('End this session')
  @Post('logout')
  @HttpCode(204)
  @Access('authenticated')
  async logout(@Req() request: AuthenticatedRequest) {
    await this.auth.logout(request.user!.sid);
  }
}
