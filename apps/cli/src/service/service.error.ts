// What can go wrong while installing, removing or asking about the aico service; `aico service` maps each code to
// an exit code.
import { PublicError } from '@aico/contracts';

export enum ServiceErrorCode {
  /** A path or value the service files cannot express (relative, control characters). */
  InvalidDefinition = 'SERVICE_INVALID_DEFINITION',
  /** `--platform` names another OS than this one without `--print`. */
  WrongPlatform = 'SERVICE_WRONG_PLATFORM',
  /** The supervisor's main.js is not where the service would start it. */
  SupervisorNotBuilt = 'SERVICE_SUPERVISOR_NOT_BUILT',
  /** Nothing could start the service: no master key would be found at start. */
  NotSetUp = 'SERVICE_NOT_SET_UP',
  /** systemctl or launchctl is missing, or has no user session to talk to. */
  ManagerUnavailable = 'SERVICE_MANAGER_UNAVAILABLE',
  /** The service manager refused a step. */
  ManagerFailed = 'SERVICE_MANAGER_FAILED',
  /** Writing or removing the service file failed. */
  FileFailed = 'SERVICE_FILE_FAILED',
}

export class ServiceError extends PublicError<ServiceErrorCode> {
  override readonly name = 'ServiceError';
}
