import { Controller } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import type { ChangePasswordRequest, LockRequest, RotateKeyRequest, UnlockRequest } from '@aico/contracts';
import { ZmqContext } from '@aico/bus';
import { KeysService } from './keys.service';

@Controller()
export class KeysController {
  constructor(private readonly keys: KeysService) {}

  @MessagePattern('security.keys.status')
  status() {
    return this.keys.status();
  }

  @MessagePattern('security.keys.rotate')
  rotate(@Payload() request: RotateKeyRequest, @Ctx() context: ZmqContext) {
    return this.keys.rotate(request.purpose, request.reason, context.getSource());
  }

  @MessagePattern('security.keys.lock')
  lock(@Payload() request: LockRequest, @Ctx() context: ZmqContext) {
    return this.keys.lock(request.reason, context.getSource());
  }

  @MessagePattern('security.keys.unlock')
  unlock(@Payload() request: UnlockRequest, @Ctx() context: ZmqContext) {
    return this.keys.unlock(request.sealedPassword, context.getSource());
  }

  @MessagePattern('security.keys.password.change')
  changePassword(@Payload() request: ChangePasswordRequest, @Ctx() context: ZmqContext) {
    return this.keys.changePassword(request.sealedCurrentPassword, request.sealedNewPassword, context.getSource());
  }
}
