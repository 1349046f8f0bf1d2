// The project's generated GGUF models and the Jest-safe node-llama-cpp loader, for the models app's specs. Both live
// in tools/models (plain JavaScript shared with benchmarks and e2e tests); specs only, never the built app.
// eslint-disable-next-line @nx/enforce-module-boundaries -- test tooling: the generated models are the tests' input
export { makeTestModel, type TestModel, type TestModelOptions } from '../../../../../tools/models/make-test-model.mjs';
// eslint-disable-next-line @nx/enforce-module-boundaries -- test tooling: node-llama-cpp under Jest's CommonJS transform
export { importNodeLlamaCpp } from '../../../../../tools/models/import-node-llama-cpp.mjs';
// eslint-disable-next-line @nx/enforce-module-boundaries -- test tooling: the real engine with its log captured
export { openTestEngine, type TestEngine } from '../../../../../tools/models/test-engine.mjs';
