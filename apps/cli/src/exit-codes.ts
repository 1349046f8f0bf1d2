// What `aico` exits with, so scripts can tell failures apart (sysexits.h numbers). Every key-manager error code
// maps to one, exhaustively.
import { BusError, RemoteError } from '@aico/bus';
import { ConfigError } from '@aico/config';
import { KeyManagerError, KeyManagerErrorCode } from '@aico/key-manager';
import { KeyError } from '@aico/keys';

export enum ExitCode {
  Ok = 0,
  Failure = 1,
  Usage = 64,
  DataError = 65,
  NotSetUp = 66,
  Unavailable = 69,
  AlreadyExists = 73,
  TryLater = 75,
  WrongPassword = 77,
  Config = 78,
}

export function exitCodeFor(code: KeyManagerErrorCode): ExitCode {
  switch (code) {
    case KeyManagerErrorCode.WeakPassword:
    case KeyManagerErrorCode.VaultTampered:
      return ExitCode.DataError;
    case KeyManagerErrorCode.WrongPassword:
      return ExitCode.WrongPassword;
    case KeyManagerErrorCode.TooManyAttempts:
      return ExitCode.TryLater;
    case KeyManagerErrorCode.NotSetUp:
      return ExitCode.NotSetUp;
    case KeyManagerErrorCode.AlreadySetUp:
      return ExitCode.AlreadyExists;
    case KeyManagerErrorCode.VaultUnsupported:
    case KeyManagerErrorCode.KeychainUnavailable:
      return ExitCode.Unavailable;
  }
}

/** A failure the user caused or can fix: message and exit code, no stack trace. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(message);
  }
}

export function toCliError(error: unknown): CliError {
  if (error instanceof CliError) return error;
  if (error instanceof KeyManagerError) return new CliError(error.message, exitCodeFor(error.code));
  if (error instanceof ConfigError || error instanceof KeyError) return new CliError(error.message, ExitCode.Config);
  if (error instanceof RemoteError || error instanceof BusError) return new CliError(`${error.message} (${error.code})`, ExitCode.Unavailable);
  return new CliError(`Unexpected error: ${(error as Error).message ?? String(error)}`, ExitCode.Failure);
}
