// Loads node-llama-cpp (ESM-only, with top-level await) from code that may have been compiled to CommonJS — Jest's
// swc transform turns `import('node-llama-cpp')` into `require('node-llama-cpp')`, which fails on an ES module with
// top-level await (ERR_REQUIRE_ASYNC_MODULE, or Jest's "Must use import to load ES Module"). Jest also runs a test
// file's code in a vm context whose own `import()` needs --experimental-vm-modules ("A dynamic import callback was
// invoked without --experimental-vm-modules"), so `new Function('s', 'return import(s)')` fails there too.
//
// What works: a vm.Script compiled with importModuleDynamically = USE_MAIN_CONTEXT_DEFAULT_LOADER (Node ≥ 20.12)
// runs `import()` through Node's own ESM loader, in the main context. swc never sees that import (it is inside a
// string). The module then lives in the main realm: one native binding per process, shared by every test file of
// a Jest worker, and its errors are not `instanceof` the test realm's Error (match on name and message instead).
// Node prints one ExperimentalWarning for USE_MAIN_CONTEXT_DEFAULT_LOADER; run as a real ES module (a benchmark,
// a script) this file uses a plain import() and there is no warning.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import vm from 'node:vm';

let loading;

/** node-llama-cpp's module namespace, imported once per process. */
export function importNodeLlamaCpp() {
  loading ??= load();
  return loading;
}

function load() {
  // Resolved from this file, so the caller's working directory does not matter.
  const entry = pathToFileURL(createRequire(import.meta.url).resolve('node-llama-cpp')).href;
  // `require` exists only when this file was compiled to CommonJS (under Jest); a real ES module imports directly.
  if (typeof require === 'undefined') return import(entry);
  const script = new vm.Script('(specifier) => import(specifier)', {
    filename: 'import-node-llama-cpp.vm.mjs',
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  return script.runInThisContext()(entry);
}
