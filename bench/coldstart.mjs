// One cold start of the worker's wasm in this Node process: compile the module and
// instantiate it, with stand-ins for the JavaScript imports (none is called while
// instantiating). Prints {"compile_ms", "instantiate_ms"}. `make bench` runs it in a
// fresh process each time, so no compiled code is reused.
import { readFileSync } from "node:fs";

const bytes = readFileSync(process.argv[2]);
const started = performance.now();
const module = await WebAssembly.compile(bytes);
const compiled = performance.now();
const imports = {};
for (const { module: from, name, kind } of WebAssembly.Module.imports(module)) {
  imports[from] ??= {};
  imports[from][name] =
    kind === "function"
      ? () => {
          throw new Error(`${name} called while instantiating`);
        }
      : kind === "tag"
        ? (WebAssembly.JSTag ?? new WebAssembly.Tag({ parameters: ["externref"] }))
        : undefined;
}
await WebAssembly.instantiate(module, imports);
const instantiated = performance.now();
console.log(JSON.stringify({ compile_ms: compiled - started, instantiate_ms: instantiated - compiled }));
