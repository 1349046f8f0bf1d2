// What an app uses of the service runtime: runService and its definition types, and the injection tokens of what
// it provides. The test environment is in `@aico/service/testing`.
export * from './run-service';
export * from './service.tokens';
