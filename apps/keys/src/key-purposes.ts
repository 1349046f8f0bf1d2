// The mapping between the wire enum and the key manager's purpose names, exhaustive both ways.
import { KeysErrorCode, KeyPurpose as WirePurpose } from '@aico/contracts';
import type { KeyPurpose } from '@aico/keys';
import { RpcException } from '@nestjs/microservices';

export function fromWire(purpose: WirePurpose): KeyPurpose {
  switch (purpose) {
    case WirePurpose.DATABASE:
      return 'database';
    case WirePurpose.FILE:
      return 'file';
    case WirePurpose.TOKEN_SIGNING:
      return 'token-signing';
    case WirePurpose.BACKUP:
      return 'backup';
    case WirePurpose.UNSPECIFIED:
      throw new RpcException({ code: KeysErrorCode.InvalidPurpose, message: 'Name the key purpose to rotate (database, file, token-signing or backup).' });
  }
}

export function toWire(purpose: KeyPurpose): WirePurpose {
  switch (purpose) {
    case 'database':
      return WirePurpose.DATABASE;
    case 'file':
      return WirePurpose.FILE;
    case 'token-signing':
      return WirePurpose.TOKEN_SIGNING;
    case 'backup':
      return WirePurpose.BACKUP;
  }
}
