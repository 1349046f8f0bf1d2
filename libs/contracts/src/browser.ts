// @aico/contracts/browser: the plain values of the contracts a browser may import — limits, error codes, the reply
// reorder buffer — with no topic registry and no protobuf runtime behind them (the main entry point, @aico/contracts,
// bundles both). Nothing here imports generated code or the registry (browser-entry.spec.ts holds that); the main
// index re-exports all of it, so servers import from one place.
export * from './conversation-limits';
export * from './conversation-error-code';
export * from './sequence-reorder-buffer';
