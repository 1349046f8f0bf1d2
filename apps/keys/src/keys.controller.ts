import { Controller } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import { SecurityTopics } from '@aico/contracts';
import type { ChangePasswordRequest, LockRequest, RotateKeyRequest, UnlockRequest } from '@aico/contracts';
import { ZmqContext } from '@aico/bus';
import { KeysService } from './keys.service';

@Controller()
export class KeysController {
  constructor(private readonly keys: KeysService) {}

  @MessagePattern(SecurityTopics.keysStatus.topic)
  status() {
    return this.keys.status();
  }

  @MessagePattern(SecurityTopics.rotate.topic)
  rotate(@Payload() request: RotateKeyRequest, @Ctx() context: ZmqContext) {
    return this.keys.rotate(request.purpose, request.reason, context.getSource());
  }

  @MessagePattern(SecurityTopics.lock.topic)
  lock(@Payload() request: LockRequest, @Ctx() context: ZmqContext) {
    return this.keys.lock(request.reason, context.getSource());
  }

  @MessagePattern(SecurityTopics.unlock.topic)
  unlock(@Payload() request: UnlockRequest, @Ctx() context: ZmqContext) {
    return this.keys.unlock(request.sealedPassword, context.getSource());
  }

  @MessagePattern(SecurityTopics.changePassword.topic)
  changePassword(@Payload() request: ChangePasswordRequest, @Ctx() context: ZmqContext) {
    return this.keys.changePassword(request.sealedCurrentPassword, request.sealedNewPassword, context.getSource());
  }
}
