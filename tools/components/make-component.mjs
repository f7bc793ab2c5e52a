// Makes a WebAssembly component from a core module and a WIT world, with
// jco's wasm-tools (the equivalent of `jco embed` then `jco new`):
//   node make-component.mjs <core.wasm> <world.wit> <world name> <out.wasm>
// The WIT is given to the embedder as text: jco 1.35's `embed` command reads
// it through a WASI filesystem with no preopened directory and fails.
import { readFile, writeFile } from "node:fs/promises";
import { componentEmbed, componentNew } from "@bytecodealliance/jco";

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
