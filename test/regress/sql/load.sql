--
-- Loading modules: wasm.load_module, load_module_wat, load_module_file.
--

-- From bytes. The result is the code's sha256, also kept in wasm.modules.
SELECT wasm.load_module('collatz', guest('collatz.wasm')) = encode(sha256(guest('collatz.wasm')), 'hex') AS sha_ok;
SELECT name, size > 0 AS has_code, owner, sha256 = encode(sha256(code), 'hex') AS sha_ok FROM wasm.modules;
SELECT name, kind, type FROM wasm.module_exports('collatz');

-- Loading identical code again is a no-op.
SELECT wasm.load_module('collatz', guest('collatz.wasm')) = sha256 AS same FROM wasm.modules WHERE name = 'collatz';

-- Different code under an existing name is refused, unless replace.
SELECT guest('fib.wasm') <> guest('collatz.wasm') AS different;
SELECT wasm.load_module('collatz', guest('fib.wasm'));
SELECT wasm.load_module('collatz', guest('fib.wasm'), replace => true) = encode(sha256(guest('fib.wasm')), 'hex') AS replaced;
SELECT wasm.load_module('collatz', guest('collatz.wasm'), replace => true) IS NOT NULL AS restored;

-- A given sha256 is checked (case does not matter).
SELECT wasm.load_module('fib', guest('fib.wasm'), sha256 => upper(encode(sha256(guest('fib.wasm')), 'hex'))) IS NOT NULL AS checked;
SELECT wasm.load_module('fib2', guest('fib.wasm'), sha256 => repeat('0', 64));

-- Malformed and invalid binaries: what is wrong, and where.
SELECT wasm.load_module('junk', '\x0061736d'::bytea);
SELECT wasm.load_module('junk', 'hello world'::bytea);
SELECT wasm.load_module('junk', '\x0061736d0100000001050160000000'::bytea);
-- A function declared to return i32 whose body leaves an f32 behind.
SELECT wasm.load_module('junk', '\x0061736d010000000105016000017f030201000a09010700430000803f0b'::bytea);
SELECT sqlstate_of($$SELECT wasm.load_module('junk', '\x00'::bytea)$$);

-- The text format. Syntax errors come with line and column.
SELECT wasm.load_module_wat('arith', $$
  (module
    (func (export "add") (param i32 i32) (result i32)
      local.get 0 local.get 1 i32.add))
$$) IS NOT NULL AS loaded;
SELECT wasm.load_module_wat('broken', $$(module
  (func (export "f") (result i32)
    i32.const 1
    i32.nonsense))$$);
SELECT wasm.load_module_wat('broken', '(module (func (result i32) f32.const 1))');
SELECT sqlstate_of($$SELECT wasm.load_module_wat('broken', '(module')$$);

-- From the server's file system: binary or text, absolute or relative to
-- the data directory.
SELECT wasm.load_module_file('numbers', current_setting('regress.guests') || '/numbers.wasm') IS NOT NULL AS loaded;
SELECT wasm.load_module_file('traps', current_setting('regress.guests') || '/traps.wat') IS NOT NULL AS loaded;
SELECT wasm.load_module_file('state', current_setting('regress.guests') || '/state.wasm') IS NOT NULL AS loaded;
SELECT sqlstate_of($$SELECT wasm.load_module_file('nofile', 'no/such/file.wasm')$$);
SELECT wasm.load_module_file('broken', current_setting('regress.guests') || '/bad_syntax.wat');

-- Imports the host does not provide are refused, naming the import: an
-- unknown function, module, or type.
SELECT wasm.load_module('imports', guest('imports.wasm'));
SELECT wasm.load_module_wat('imports', '(module (import "nowhere" "f" (func)))');
SELECT wasm.load_module_wat('imports', '(module (import "pg_wasm" "now" (func (result i32))))');
SELECT wasm.load_module_wat('imports', '(module (import "pg_wasm" "memory" (memory 1)))');

-- Module names are identifier-like.
SELECT wasm.load_module('bad name', guest('fib.wasm'));
SELECT wasm.load_module('1abc', guest('fib.wasm'));
SELECT wasm.load_module(repeat('a', 64), guest('fib.wasm'));
SELECT wasm.load_module(NULL, guest('fib.wasm'));

-- Everything is transactional: a rolled-back load leaves nothing.
BEGIN;
SELECT wasm.load_module('temporary', guest('fib.wasm')) IS NOT NULL AS loaded;
SELECT count(*) FROM wasm.modules WHERE name = 'temporary';
ROLLBACK;
SELECT count(*) FROM wasm.modules WHERE name = 'temporary';

-- A failed replace leaves the previous module intact.
BEGIN;
SELECT wasm.load_module('fib', '\x0061736d'::bytea, replace => true);
ROLLBACK;
SELECT name, sha256 = encode(sha256(guest('fib.wasm')), 'hex') AS intact FROM wasm.modules WHERE name = 'fib';

-- What a module exports.
SELECT * FROM wasm.module_exports('numbers');
SELECT * FROM wasm.module_exports('nope');

SELECT name, size FROM wasm.modules ORDER BY name;

-- Dropped: the suites that use these modules load them themselves.
SELECT count(wasm.drop_module(name)) AS dropped
FROM unnest(ARRAY['collatz', 'fib', 'arith', 'numbers', 'traps', 'state']) name;
