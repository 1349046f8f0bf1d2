export * from './service.tokens';
export * from './service-core.module';
export * from './process-stats';
export * from './run-service';
export * from './testing/service-test-environment';
