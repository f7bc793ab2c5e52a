// Encodes a component (or module) written in the text format, with jco's
// wasm-tools, for test fixtures made by hand:
//   node parse-wat.mjs <in.wat> <out.wasm>
// Only jco-transpile's `wasm-tools` entry point is imported, as in
// make-component.mjs (it runs on Debian 12's Node 18).
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
