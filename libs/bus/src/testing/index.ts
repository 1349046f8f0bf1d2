// `@aico/bus/testing`: harnesses for specs, e2e tests and benchmarks only (a lint rule keeps them out of
// production files): an in-process proxy with connected test clients, free ports, a flood of refused clients.
export * from './bus-harness';
export * from './free-port';
export * from './refusal-flood';
