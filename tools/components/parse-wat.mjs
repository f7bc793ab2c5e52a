// Assembles a component (or core module) from the WebAssembly text format
// with jco's wasm-tools, for hand-made test fixtures:
//   node parse-wat.mjs <in.wat> <out.wasm>
import { readFile, writeFile } from "node:fs/promises";
import { parse } from "@bytecodealliance/jco-transpile/wasm-tools";

const [input, out] = process.argv.slice(2);
if (!out) {
  console.error("usage: node parse-wat.mjs <in.wat> <out.wasm>");
  process.exit(2);
}
try {
  await writeFile(out, await parse(await readFile(input, "utf8")));
} catch (e) {
  console.error(`parse-wat: ${input}: ${e?.message ?? e}`);
  process.exit(1);
}
