// What an app uses of the service runtime: runService and its definition types, the injection tokens of what it
// provides, and the wall-clock-aligned timer its periodic work shares wake-ups with. The test environment is in
// `@aico/service/testing`.
export { AlignedTimer } from './aligned-timer';
export * from './run-service';
export * from './service.tokens';
