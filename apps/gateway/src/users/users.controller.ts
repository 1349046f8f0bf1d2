// User administration (admins only): the routes parse and answer; the rules (hashing, sessions ended on a change,
// the last administrator kept) live in UsersService.
import { Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import type { User } from '@aico/contracts';
import { Permission } from '@aico/policy';
import { Access } from '../auth/access.decorator';
import { Doc } from '../http/doc.decorator';
import { ValidBody, type Input } from '../http/valid-input';
import { CreateUserBody, UpdateUserBody, UserResponse, UsersResponse } from '../http/schemas';
import { isoTimeOrNull } from '../time/iso-time';
import { UsersService } from './users.service';

const view = (user: User) => ({
  id: user.id,
  username: user.username,
  displayName: user.displayName,
  role: user.role,
  disabled: user.disabled,
  createdAt: isoTimeOrNull(user.createdAt),
});

@Controller('users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Doc('List users', { response: UsersResponse })
  @Get()
  @Access(Permission.UsersManage)
  async list() {
    return { users: (await this.users.list()).map(view) };
  }

  @Doc('Create a user', { response: UserResponse })
  @Post()
  @Access(Permission.UsersManage)
  async create(@ValidBody(CreateUserBody) input: Input<typeof CreateUserBody>) {
    return view(await this.users.create(input));
  }

  @Doc('Change a user (role, disabled, display name, password); the last enabled administrator stays one (409 LAST_ADMIN)', { response: UserResponse })
  @Patch(':id')
  @Access(Permission.UsersManage)
  async update(@Param('id') id: string, @ValidBody(UpdateUserBody) input: Input<typeof UpdateUserBody>) {
    return view(await this.users.update(id, input));
  }

  @Doc('Delete a user and end their sessions; the last enabled administrator cannot be deleted (409 LAST_ADMIN)')
  @Delete(':id')
  @HttpCode(204)
  @Access(Permission.UsersManage)
  async remove(@Param('id') id: string) {
    await this.users.remove(id);
  }
}
