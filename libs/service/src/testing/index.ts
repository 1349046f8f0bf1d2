// `@aico/service/testing`: a throwaway environment (data directory, master key file, bus endpoints) for specs,
// e2e tests and benchmarks only.
export * from './service-test-environment';
