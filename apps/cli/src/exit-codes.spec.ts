import { BackupArchiveErrorCode } from '@aico/backup-archive';
import { BusError, BusErrorCode, RemoteError } from '@aico/bus';
import { KeysErrorCode, StorageClientErrorCode, StorageErrorCode } from '@aico/contracts';
import { EXIT_TABLES, ExitCode, remoteExitCode, storageExitCode, toCliError } from './exit-codes';

describe('exit codes', () => {
  it('declares every code once across the domains, so the lookup by the wire code is unambiguous', () => {
    const codes = EXIT_TABLES.flatMap((table) => Object.keys(table));
    expect(codes.length).toBeGreaterThan(90);
    expect(codes.filter((code, index) => codes.indexOf(code) !== index)).toEqual([]);
  });

  it('gives storage codes that used to fall to a plain failure the exit code a script can act on', () => {
    const exit = (code: StorageErrorCode) => storageExitCode(new RemoteError(code, 'x', 'storage'));
    expect(exit(StorageErrorCode.VersionConflict)).toBe(ExitCode.TryLater);
    expect(exit(StorageErrorCode.Conflict)).toBe(ExitCode.AlreadyExists);
    expect(exit(StorageErrorCode.InvalidText)).toBe(ExitCode.DataError);
    expect(exit(StorageErrorCode.UnknownRecordKind)).toBe(ExitCode.Usage);
    expect(exit(StorageErrorCode.DiskFull)).toBe(ExitCode.IoError);
    expect(storageExitCode(new BusError(BusErrorCode.QueueFull, 'x'))).toBe(ExitCode.TryLater);
    expect(storageExitCode(new BusError(BusErrorCode.StreamStalled, 'x'))).toBe(ExitCode.Unavailable);
  });

  it('reads a failed backup or restore by the archive code or errno in its details', () => {
    const failed = (code: StorageErrorCode, details: Record<string, string>) => storageExitCode(new RemoteError(code, 'x', 'storage', details));
    expect(failed(StorageErrorCode.RestoreFailed, { archiveCode: BackupArchiveErrorCode.WrongKey })).toBe(ExitCode.DataError);
    expect(failed(StorageErrorCode.RestoreFailed, { archiveCode: BackupArchiveErrorCode.Unreadable })).toBe(ExitCode.NoInput);
    expect(failed(StorageErrorCode.BackupFailed, { errno: '-28' })).toBe(ExitCode.IoError);
    expect(failed(StorageErrorCode.BackupFailed, {})).toBe(ExitCode.Failure);
    expect(failed(StorageErrorCode.RestoreFailed, {})).toBe(ExitCode.DataError);
  });

  it('maps a keys reply and the storage client by their codes, and an undeclared code to the fallback', () => {
    expect(remoteExitCode({ code: KeysErrorCode.WrongPassword })).toBe(ExitCode.WrongPassword);
    expect(remoteExitCode({ code: KeysErrorCode.InvalidPurpose })).toBe(ExitCode.Usage);
    expect(remoteExitCode({ code: StorageClientErrorCode.NotAcknowledged })).toBe(ExitCode.Unavailable);
    expect(remoteExitCode({ code: 'NOBODY_DECLARES_THIS' })).toBe(ExitCode.Failure);
    expect(toCliError(new RemoteError(KeysErrorCode.WrongPassword, 'Wrong password.', 'keys')).exitCode).toBe(ExitCode.WrongPassword);
    expect(toCliError(new RemoteError('NOBODY_DECLARES_THIS', 'x', 'keys')).exitCode).toBe(ExitCode.Unavailable);
  });
});
