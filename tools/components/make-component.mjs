// Makes a WebAssembly component from a core module and a WIT world, with
// jco's wasm-tools (the equivalent of `jco embed` then `jco new`):
//   node make-component.mjs <core.wasm> <world.wit> <world name> <out.wasm>
// componentEmbed and componentNew come from @bytecodealliance/jco-transpile,
// the library jco itself re-exports them from (jco 1.35 = jco-transpile
// 0.15, same bytes out). Only its `wasm-tools` entry point is imported: it
// runs on Debian 12's Node 18, where jco's own entry point does not (since
// jco 1.25 it loads oxc-minify, whose native binding wants Node >= 20.19).
// The WIT is given to the embedder as text: jco's `embed` command reads it
// through a WASI filesystem with no preopened directory and fails.
import { readFile, writeFile } from "node:fs/promises";
import { componentEmbed, componentNew } from "@bytecodealliance/jco-transpile/wasm-tools";

const [core, wit, world, out] = process.argv.slice(2);
if (!out) {
  console.error("usage: node make-component.mjs <core.wasm> <world.wit> <world> <out.wasm>");
  process.exit(2);
}
try {
  const embedded = await componentEmbed({
    binary: await readFile(core),
    witSource: await readFile(wit, "utf8"),
    world,
    stringEncoding: "utf8",
  });
  await writeFile(out, await componentNew(embedded, []));
} catch (e) {
  console.error(`make-component: ${core}: ${e?.message ?? e}`);
  process.exit(1);
}
