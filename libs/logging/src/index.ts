export * from './correlation-context';
export * from './redaction';
export * from './logger.factory';
export * from './nest-logger';
export * from './testing/capture-logger';
export * from './log-tap';
