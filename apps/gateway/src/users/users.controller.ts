// User administration (admins only). Passwords are hashed with Argon2id here and never stored or returned in the
// clear; disabling or deleting a user, or changing their password, ends their sessions.
import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { timestampMs } from '@bufbuild/protobuf/wkt';
import { RecordKind, type User } from '@aico/contracts';
import { hashUserPassword } from '@aico/key-manager';
import { Permission } from '@aico/policy';
import { StorageClient } from '@aico/storage-client';
import { Access } from '../auth/access.decorator';
import { Doc } from '../http/doc.decorator';
import { AuthService, userIdOf } from '../auth/auth.service';
import { ApiError, notFound } from '../http/api-error';
import { CreateUserBody, UpdateUserBody, UserResponse, UsersResponse, username as usernameSchema } from '../http/schemas';
import { parseInput } from '../http/validation';

const view = (user: User) => ({
  id: user.id,
  username: user.username,
  displayName: user.displayName,
  role: user.role,
  disabled: user.disabled,
  createdAt: user.createdAt ? new Date(timestampMs(user.createdAt)).toISOString() : null,
});

@Controller('users')
export class UsersController {
  constructor(
    private readonly storage: StorageClient,
    private readonly auth: AuthService,
  ) {}

  @Doc('List users', { response: UsersResponse })
  @Get()
  @Access(Permission.UsersManage)
  async list() {
    const users: ReturnType<typeof view>[] = [];
    for await (const record of this.storage.allRecords(RecordKind.USER)) if (record.kind.case === 'user') users.push(view(record.kind.value));
    return { users };
  }

  @Doc('Create a user', { body: CreateUserBody, response: UserResponse })
  @Post()
  @Access(Permission.UsersManage)
  async create(@Body() body: unknown) {
    const input = parseInput(CreateUserBody, body);
    const id = userIdOf(input.username);
    if ((await this.storage.getRecord(RecordKind.USER, id)).found) throw new ApiError(409, 'USER_EXISTS', `A user "${input.username}" exists already.`);
    const user = { id, username: input.username, displayName: input.displayName ?? '', role: input.role, passwordHash: await hashUserPassword(input.password), disabled: false };
    await this.storage.putRecord({ kind: { case: 'user', value: user } });
    return view((await this.get(id))!);
  }

  @Doc('Change a user (role, disabled, display name, password)', { body: UpdateUserBody, response: UserResponse })
  @Patch(':id')
  @Access(Permission.UsersManage)
  async update(@Param('id') id: string, @Body() body: unknown) {
    const input = parseInput(UpdateUserBody, body);
    const user = await this.require(id);
    const next: User = {
      ...user,
      ...(input.role ? { role: input.role } : {}),
      ...(input.disabled !== undefined ? { disabled: input.disabled } : {}),
      ...(input.displayName !== undefined ? { displayName: input.displayName } : {}),
      ...(input.password ? { passwordHash: await hashUserPassword(input.password) } : {}),
    };
    await this.storage.putRecord({ kind: { case: 'user', value: next } });
    if (input.password || input.disabled || (input.role && input.role !== user.role)) await this.auth.revokeAllSessions(user.id);
    return view(next);
  }

  @Doc('Delete a user and end their sessions')
  @Delete(':id')
  @HttpCode(204)
  @Access(Permission.UsersManage)
  async remove(@Param('id') id: string) {
    const user = await this.require(id);
    await this.auth.revokeAllSessions(user.id);
    await this.storage.deleteRecord(RecordKind.USER, user.id);
  }

  private async get(id: string): Promise<User | undefined> {
    const found = await this.storage.getRecord(RecordKind.USER, id);
    return found.record?.kind.case === 'user' ? found.record.kind.value : undefined;
  }

  private async require(id: string): Promise<User> {
    if (!usernameSchema.safeParse(id).success) throw notFound(`No user "${id}".`);
    const user = await this.get(userIdOf(id));
    if (!user) throw notFound(`No user "${id}".`);
    return user;
  }
}
