// A mock FDW host in Node: instantiates guests with the pg_wasm and
// pg_wasm_fdw imports of docs/fdw.md and drives their routines, to test the
// SDK (sdk/pg_wasm_fdw.h) and the example guests without PostgreSQL.
//
//   node test/fdw/mock_host.mjs [guest dir, default build/guests]
//
// The http import is synchronous, as a guest needs: it runs curl (spawnSync)
// against test/fdw/api_server.py, which this script starts and stops.
// json_rows converts as the host would (docs/fdw.md), with per-column
// `field` options given to the scan helper. test/fdw/mp_echo.c is compiled
// with clang here to test the MessagePack reader and writers.
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const guestDir = path.resolve(process.argv[2] || path.join(root, 'build/guests'));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pgw-fdw-'));

// ---- MessagePack --------------------------------------------------------
class F64 { constructor(v) { this.v = v; } }  // force a float 64
class F32 { constructor(v) { this.v = v; } }
class Raw { constructor(b) { this.b = b; } }  // bytes as they are

function encode(v, out = []) {
  const u8 = (...b) => out.push(...b);
  const be = (n, bytes) => { for (let i = bytes - 1; i >= 0; i--) out.push(Number((BigInt(n) >> BigInt(8 * i)) & 0xffn)); };
  if (v === null || v === undefined) u8(0xc0);
  else if (v === true) u8(0xc3);
  else if (v === false) u8(0xc2);
  else if (v instanceof Raw) out.push(...v.b);
  else if (v instanceof F64) { const b = Buffer.alloc(8); b.writeDoubleBE(v.v); out.push(0xcb, ...b); }
  else if (v instanceof F32) { const b = Buffer.alloc(4); b.writeFloatBE(v.v); out.push(0xca, ...b); }
  else if (typeof v === 'number' && !Number.isInteger(v)) encode(new F64(v), out);
  else if (typeof v === 'number' || typeof v === 'bigint') {
    const n = BigInt(v);
    if (n >= 0n && n < 128n) u8(Number(n));
    else if (n < 0n && n >= -32n) u8(Number(n) & 0xff);
    else if (n >= 0n) {
      if (n < 256n) { u8(0xcc); be(n, 1); } else if (n < 65536n) { u8(0xcd); be(n, 2); }
      else if (n < 2n ** 32n) { u8(0xce); be(n, 4); } else { u8(0xcf); be(n, 8); }
    } else if (n >= -128n) { u8(0xd0); be(n, 1); } else if (n >= -32768n) { u8(0xd1); be(n, 2); }
    else if (n >= -(2n ** 31n)) { u8(0xd2); be(n, 4); } else { u8(0xd3); be(BigInt.asUintN(64, n), 8); }
  } else if (typeof v === 'string') {
    const b = Buffer.from(v, 'utf8');
    if (b.length < 32) u8(0xa0 | b.length); else if (b.length < 256) u8(0xd9, b.length);
    else if (b.length < 65536) { u8(0xda); be(b.length, 2); } else { u8(0xdb); be(b.length, 4); }
    out.push(...b);
  } else if (v instanceof Uint8Array) {
    if (v.length < 256) u8(0xc4, v.length); else if (v.length < 65536) { u8(0xc5); be(v.length, 2); }
    else { u8(0xc6); be(v.length, 4); }
    out.push(...v);
  } else if (Array.isArray(v)) {
    if (v.length < 16) u8(0x90 | v.length); else if (v.length < 65536) { u8(0xdc); be(v.length, 2); }
    else { u8(0xdd); be(v.length, 4); }
    for (const x of v) encode(x, out);
  } else {
    const e = Object.entries(v);
    if (e.length < 16) u8(0x80 | e.length); else { u8(0xde); be(e.length, 2); }
    for (const [k, x] of e) { encode(k, out); encode(x, out); }
  }
  return out;
}
const pack = (v) => Uint8Array.from(encode(v));

function decode(buf) {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.length);
  let p = 0;
  const need = (n) => { if (p + n > b.length) throw new Error(`truncated MessagePack at ${p}`); };
  const int = (n, signed) => {
    need(n); let v = 0n;
    for (let i = 0; i < n; i++) v = (v << 8n) | BigInt(b[p + i]);
    p += n;
    if (signed) v = BigInt.asIntN(8 * n, v);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  };
  const bytes = (n) => { need(n); const s = b.subarray(p, p + n); p += n; return s; };
  const value = () => {
    need(1);
    const c = b[p++];
    if (c <= 0x7f) return c;
    if (c >= 0xe0) return c - 256;
    if (c >= 0xa0 && c <= 0xbf) return bytes(c & 31).toString('utf8');
    if ((c & 0xf0) === 0x90) return arr(c & 15);
    if ((c & 0xf0) === 0x80) return map(c & 15);
    switch (c) {
      case 0xc0: return null; case 0xc2: return false; case 0xc3: return true;
      case 0xc4: return new Uint8Array(bytes(int(1)));
      case 0xc5: return new Uint8Array(bytes(int(2)));
      case 0xc6: return new Uint8Array(bytes(int(4)));
      case 0xca: { need(4); const v = b.readFloatBE(p); p += 4; return new F32(v); }
      case 0xcb: { need(8); const v = b.readDoubleBE(p); p += 8; return new F64(v); }
      case 0xcc: return int(1); case 0xcd: return int(2); case 0xce: return int(4); case 0xcf: return int(8);
      case 0xd0: return int(1, true); case 0xd1: return int(2, true);
      case 0xd2: return int(4, true); case 0xd3: return int(8, true);
      case 0xd9: return bytes(int(1)).toString('utf8');
      case 0xda: return bytes(int(2)).toString('utf8');
      case 0xdb: return bytes(int(4)).toString('utf8');
      case 0xdc: return arr(int(2)); case 0xdd: return arr(int(4));
      case 0xde: return map(int(2)); case 0xdf: return map(int(4));
      default: throw new Error(`MessagePack type 0x${c.toString(16)}`);
    }
  };
  const arr = (n) => { const a = []; for (let i = 0; i < n; i++) a.push(value()); return a; };
  const map = (n) => { const o = {}; for (let i = 0; i < n; i++) { const k = value(); o[k] = value(); } return o; };
  const v = value();
  if (p !== b.length) throw new Error(`${b.length - p} bytes after the value`);
  return v;
}
// F64/F32 to plain numbers, for comparisons.
const plain = (v) => v instanceof F64 || v instanceof F32 ? v.v : Array.isArray(v) ? v.map(plain)
  : v && typeof v === 'object' && !(v instanceof Uint8Array) ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)])) : v;

// ---- The host ------------------------------------------------------------
class GuestError extends Error {}

class Guest {
  constructor(file, { fields = {} } = {}) {
    this.file = file;
    this.fields = fields;
    this.pending = null;
    this.rows = null;
    this.requests = [];
    this.sleeps = [];
    this.logs = [];
    const mod = new WebAssembly.Module(fs.readFileSync(file));
    const str = (p, n) => Buffer.from(this.mem().subarray(p, p + n)).toString('utf8');
    const give = (bytes) => { this.pending = Buffer.from(bytes); return this.pending.length; };
    const imports = {
      pg_wasm: {
        error: (p, n) => { throw new GuestError(str(p, n)); },
        log: (l, p, n) => { this.logs.push([l, str(p, n)]); },
        random: (p, n) => { this.mem().set(Buffer.alloc(n, 7), p); },
        now: () => 0n,
        server_version: () => 160000,
        set_null: () => {},
        arg_is_null: () => 0,
      },
      pg_wasm_fdw: {
        take: (p) => {
          if (!this.pending) throw new Error('take without bytes');
          this.mem().set(this.pending, p);
          this.pending = null;
        },
        http: (p, n) => give(pack(this.http(decode(this.mem().slice(p, p + n))))),
        json_rows: (p, n) => this.jsonRows(decode(this.mem().slice(p, p + n))),
        sleep: (ms) => { this.sleeps.push(ms); Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Math.min(ms, 50)); },
        epoch_ms: () => BigInt(Date.now()),
        parse_rfc3339: (p, n) => {
          const t = Date.parse(str(p, n));
          if (Number.isNaN(t)) throw new GuestError(`not RFC 3339: ${str(p, n)}`);
          return BigInt(t) * 1000n;
        },
        format_rfc3339: (us) => give(Buffer.from(new Date(Number(us / 1000n)).toISOString().replace('.000Z', 'Z'))),
        jwt: (p, n) => give(Buffer.from('header.payload.signature')),
      },
    };
    for (const imp of WebAssembly.Module.imports(mod))
      if (!imports[imp.module] || !(imp.name in imports[imp.module])) throw new Error(`unknown import ${imp.module}.${imp.name}`);
    this.instance = new WebAssembly.Instance(mod, imports);
    this.x = this.instance.exports;
    assert.ok(this.x.pg_wasm_fdw_v1, 'pg_wasm_fdw_v1 exported');
    assert.ok(!this.x.pg_wasm_abi_v1, 'no pg_wasm_abi_v1 marker in an FDW guest');
  }
  mem() { return new Uint8Array(this.x.memory.buffer); }
  result(r) {
    if (r === 0n) return undefined;
    const ptr = Number(r & 0xffffffffn), len = Number(r >> 32n);
    return this.mem().slice(ptr, ptr + len);
  }
  // Calls a routine taking (ptr, len) with the value as MessagePack.
  call(name, input, { raw = false } = {}) {
    const bytes = input instanceof Uint8Array ? input : pack(input);
    const p = this.x.pg_wasm_alloc(Math.max(bytes.length, 1));
    assert.ok(p > 0);
    this.mem().set(bytes, p);
    try {
      const r = this.x[name](p, bytes.length);
      if (typeof r !== 'bigint') return r;
      const out = this.result(r);
      return out === undefined ? undefined : raw ? out : decode(out);
    } finally {
      this.x.pg_wasm_free(p);
    }
  }
  string(r) { return Buffer.from(this.result(r)).toString('utf8'); }

  http(req) {
    this.requests.push(req);
    const hdr = path.join(tmp, 'headers');
    const args = ['-s', '-S', '-X', req.method, '-D', hdr, '-o', '-', '--max-time', '30'];
    for (const [k, v] of req.headers || []) args.push('-H', `${k}: ${v}`);
    if (req.body !== undefined) args.push('--data-binary', '@-');
    if (req.method === 'HEAD') args.splice(args.indexOf('-X'), 2, '-I');
    args.push(req.url);
    const r = spawnSync('curl', args, { input: req.body === undefined ? undefined : Buffer.from(req.body), maxBuffer: 64 << 20 });
    if (r.status !== 0) throw new GuestError(`HV00N: ${r.stderr}`);
    const lines = fs.readFileSync(hdr, 'utf8').split('\r\n');
    const status = Number(lines[0].split(' ')[1]);
    const headers = lines.slice(1).filter((l) => l.includes(':')).map((l) => {
      const i = l.indexOf(':');
      return [l.slice(0, i).toLowerCase(), l.slice(i + 1).trim()];
    });
    return { status, headers, body: new Uint8Array(r.stdout) };
  }

  jsonRows(req) {
    if (!this.rows) throw new GuestError('json_rows outside fdw_iter_scan');
    const text = typeof req.json === 'string' ? req.json : Buffer.from(req.json).toString('utf8');
    let doc = JSON.parse(text);
    for (const k of (req.path || '').split('.').filter(Boolean)) doc = doc == null ? undefined : doc[k];
    // An object alone is one row, as the host has it.
    if (doc !== null && typeof doc === 'object' && !Array.isArray(doc)) doc = [doc];
    if (!Array.isArray(doc)) throw new GuestError(`json_rows: no array at "${req.path}"`);
    const dig = (o, f) => f.split('.').reduce((x, k) => (x == null ? undefined : x[k]), o);
    for (const obj of doc) {
      this.rows.push(this.scanTargets.map((t) => {
        const col = this.scanColumns[t];
        const v = dig(obj, this.fields[col.name] || col.name);
        return v === undefined || v === null ? null : typeof v === 'object' ? JSON.stringify(v) : v;
      }));
    }
    return doc.length;
  }

  // begin_scan, then iter_scan until the end; returns the rows.
  scan(input, { max = 100000 } = {}) {
    this.call('fdw_begin_scan', input);
    return this.drain(input, max);
  }
  drain(input, max = 100000) {
    this.scanColumns = input.columns;
    this.scanTargets = input.targets;
    const all = [];
    for (let i = 0; i < max; i++) {
      this.rows = [];
      const r = this.x.fdw_iter_scan();
      const given = this.rows;
      this.rows = null;
      let batch;
      if (r === 0n) batch = given;
      else {
        assert.equal(given.length, 0, 'json_rows and a batch in one call');
        batch = plain(decode(this.result(r)));
      }
      if (batch.length === 0) return all;
      for (const row of batch) assert.equal(row.length, input.targets.length, 'cells per row');
      all.push(...batch);
    }
    throw new Error('scan did not end');
  }
  rescan(input, params) {
    this.call('fdw_re_scan', { params });
    return this.drain(input);
  }
}

function expectError(fn, re) {
  try { fn(); } catch (e) {
    if (!(e instanceof GuestError)) throw e;
    assert.match(e.message, re);
    return e.message;
  }
  assert.fail(`no error matching ${re}`);
}

let passed = 0;
function test(name, fn) {
  fn();
  passed++;
  console.log(`ok ${passed} - ${name}`);
}

// ---- MessagePack and SDK helpers (mp_echo.c) --------------------------------
const echoWasm = path.join(tmp, 'mp_echo.wasm');
execFileSync('clang', ['--target=wasm32', '-nostdlib', '-O2', '-Wall', '-Wextra', '-std=c11', '-Wl,--no-entry',
  '-I', path.join(root, 'sdk'), '-o', echoWasm, path.join(root, 'test/fdw/mp_echo.c')]);
const echo = new Guest(echoWasm);

test('MessagePack: every type and width round-trips through the reader and the shortest writers', () => {
  const ints = [0, 1, 127, 128, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32, 2n ** 63n - 1n,
    -1, -32, -33, -128, -129, -32768, -32769, -(2 ** 31), -(2 ** 31) - 1, -(2n ** 63n)];
  const longStr = 'é'.repeat(200), s64k = 'x'.repeat(70000);
  const v = [null, true, false, ...ints, new F64(1.5), new F64(-0), 'a', '', longStr, s64k,
    new Uint8Array([0, 1, 2]), new Uint8Array(300), Array.from({ length: 20 }, (_, i) => i),
    Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, i])), { nested: { a: [1, { b: null }] } }];
  const out = echo.call('mp_echo', v);
  assert.deepEqual(plain(out), plain(decode(pack(v))));
  // shortest forms: re-encoding with the JS encoder (shortest too) is byte-identical
  for (const x of ints) assert.deepEqual(echo.call('mp_echo', x, { raw: true }), pack(x), `int ${x}`);
  assert.deepEqual(echo.call('mp_echo', longStr, { raw: true }), pack(longStr));
  assert.deepEqual(echo.call('mp_echo', new F32(2.5)), new F64(2.5));
  // uint 64 over INT64_MAX is refused by read_int (the reader's int is int64)
  expectError(() => echo.call('mp_echo', 2n ** 64n - 1n), /malformed/);
});

test('MessagePack: the reader never reads past its end', () => {
  const good = pack([1, 'abc', { k: [1.5, new Uint8Array([1, 2])] }, -300, 2 ** 40]);
  for (let n = 0; n < good.length; n++)
    expectError(() => echo.call('mp_echo', good.subarray(0, n)), /malformed/);
  // counts the bytes left cannot hold are refused before reading
  for (const bad of [[0xdd, 0xff, 0xff, 0xff, 0xff], [0xdf, 0x7f, 0xff, 0xff, 0xff, 0x01],
    [0xdb, 0xff, 0xff, 0xff, 0xf0, 0x61], [0xc6, 0x00, 0x00, 0x01, 0x00], [0xc1], [0xd9]])
    expectError(() => echo.call('mp_echo', Uint8Array.from(bad)), /malformed/);
  expectError(() => echo.call('mp_skip', Uint8Array.from([0xdd, 0xff, 0xff, 0xff, 0xff])), /skip failed/);
  // skip: ext types, nesting, and the depth bound
  assert.equal(echo.call('mp_skip', Uint8Array.from([0xd4, 1, 2, 0xc0])), 3);
  assert.equal(echo.call('mp_skip', Uint8Array.from([0xc7, 2, 9, 1, 2, 0xc0])), 5);
  assert.equal(echo.call('mp_skip', good), good.length);
  const deep = (n) => Uint8Array.from([...Array(n).fill(0x91), 0xc0]);
  assert.equal(echo.call('mp_skip', deep(64)), 65);
  expectError(() => echo.call('mp_skip', deep(65)), /skip failed/);
});

test('MessagePack: find a key in a map, skipping values of every kind and non-str keys', () => {
  const m = new Raw([...pack({ a: [1, 2, { x: 1 }], b: 'bee' }).slice(0, 0), 0x83, 0x01, 0xc0,
    ...pack('a').slice(0), ...pack([1, { x: 'y' }]), ...pack('b'), ...pack('bee')]);
  assert.equal(echo.call('mp_find', [m, 'b']), 'bee');
  assert.deepEqual(echo.call('mp_find', [m, 'a']), [1, { x: 'y' }]);
  expectError(() => echo.call('mp_find', [m, 'c']), /not found/);
});

test('JSON reading: documents to MessagePack, escapes, numbers', () => {
  const doc = '{"s": "a\\"b\\\\c\\n\\u00e9\\ud83d\\ude00", "i": -12, "big": 123456789012345678901, "f": 1.5e3,' +
    ' "t": true, "n": null, "a": [], "o": {"x": [1, {"y": false}]}}';
  assert.deepEqual(plain(echo.call('json_echo', Buffer.from(doc))),
    { s: 'a"b\\c\né😀', i: -12, big: '123456789012345678901', f: '1.5e3', t: true, n: null, a: [], o: { x: [1, { y: false }] } });
  for (const bad of ['', '{', '[1,]', '{"a" 1}', '"\\x"', 'tru', '[1] 2', '{"a":01x}', '-', '"a\u0001"'])
    expectError(() => echo.call('json_echo', Buffer.from(bad)), /not JSON/);
  assert.equal(echo.string(echo.x.mp_to_json(...(() => {
    const b = pack({ s: 'q"\n\u0001', n: [1, -2, null, true, new F64(2.25)] });
    const p = echo.x.pg_wasm_alloc(b.length); echo.mem().set(b, p); return [p, b.length];
  })())), '{"s":"q\\"\\n\\u0001","n":[1,-2,null,true,2.25]}');
});

test('formatter and URL building', () => {
  assert.equal(echo.string(echo.x.fmt_test()),
    'a|-42|-9223372036854775808|xyz|7|Q|%|http://h:1/a%20b%2Fc?q=x%26y%3Dz%20%C3%A9&limit=100');
});

test('allocator: freed memory is reused', () => {
  const pages = echo.x.alloc_churn(1000);
  assert.ok(pages < 10, `memory grew to ${pages} pages`);
  // the host's pattern: alloc an input, free it, many times
  for (let i = 0; i < 1000; i++) echo.call('mp_echo', [i, 'x'.repeat(i)]);
  assert.ok(echo.x.memory.buffer.byteLength < 40 * 65536);
});

// ---- compute_fdw ----------------------------------------------------------
const cols = (...names) => names.map(([name, type], i) => ({ name, type, num: i + 1 }));
const computeCols = cols(['n', 'bigint'], ['square', 'bigint'], ['label', 'text'], ['even', 'boolean'], ['other', 'text']);
const compute = new Guest(path.join(guestDir, 'compute_fdw.wasm'));
const cin = (extra = {}) => ({ server: {}, table: { count: '1200' }, columns: computeCols, targets: [0, 1, 2, 3, 4], ...extra });

test('compute_fdw: host version requirement, validate', () => {
  assert.equal(compute.string(compute.x.fdw_host_version_requirement()), '^1.0');
  compute.call('fdw_validate', { server: {}, table: { count: '5' }, columns: computeCols, catalog: 'table' });
  expectError(() => compute.call('fdw_validate', { server: {}, table: { count: 'abc' }, catalog: 'table' }), /count/);
});

test('compute_fdw: plan', () => {
  assert.deepEqual(compute.call('fdw_plan', cin({ quals: [{ column: 0, op: '<=', value: 3 }] })),
    { rows: 3, startup_cost: 1, exact: [0], sort: false, limit: true });
  assert.deepEqual(compute.call('fdw_plan', cin({
    quals: [{ column: 0, op: '>', value: 3 }, { column: 0, op: '=', param: true }],
    sorts: [{ column: 0, desc: false, nulls_first: false }],
  })), { rows: 1, startup_cost: 1, exact: [1], sort: true, limit: false });
  assert.equal(compute.call('fdw_plan', cin()).rows, 1200);
});

test('compute_fdw: scans in batches of 500, columns by name', () => {
  const rows = compute.scan(cin());
  assert.equal(rows.length, 1200);
  assert.deepEqual(rows[0], [1, 1, 'row 1', false, null]);
  assert.deepEqual(rows[1199], [1200, 1440000, 'row 1200', true, null]);
  const targets = compute.scan(cin({ targets: [2, 0] }));
  assert.deepEqual(targets[41], ['row 42', 42]);
  assert.equal(compute.scan(cin({ table: {} })).length, 10);
});

test('compute_fdw: quals, limit and offset, params at rescan', () => {
  const q = (quals, extra = {}) => compute.scan(cin({ targets: [0], quals, ...extra })).map((r) => r[0]);
  assert.deepEqual(q([{ column: 0, op: '<=', value: 3 }]), [1, 2, 3]);
  assert.deepEqual(q([{ column: 0, op: '<', value: 3 }]), [1, 2]);
  assert.deepEqual(q([{ column: 0, op: '=', value: 42 }]), [42]);
  assert.deepEqual(q([{ column: 0, op: '=', value: 5000 }]), []);
  assert.deepEqual(q([], { limit: 5, offset: 10 }), [11, 12, 13, 14, 15]);
  assert.deepEqual(q([{ column: 0, op: '<', value: 13 }], { limit: 5, offset: 10 }), [11, 12]);
  assert.deepEqual(q([], { limit: 0 }), []);
  const input = cin({ targets: [0, 1], quals: [{ column: 0, op: '=', value: 7, param: true }] });
  assert.deepEqual(compute.scan(input), [[7, 49]]);
  assert.deepEqual(compute.rescan(input, [9]), [[9, 81]]);
  assert.deepEqual(compute.rescan(input, [null]), []);
  assert.deepEqual(compute.rescan(input, [-3]), []);
});

// ---- the API server ----------------------------------------------------
const portFile = path.join(tmp, 'port');
const server = spawn('python3', [path.join(root, 'test/fdw/api_server.py'), '--port', '0', '--port-file', portFile], { stdio: 'ignore' });
for (let i = 0; i < 100 && !fs.existsSync(portFile); i++) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
const api = `http://127.0.0.1:${fs.readFileSync(portFile, 'utf8').trim()}`;
const curlJson = (url, ...args) => JSON.parse(execFileSync('curl', ['-s', ...args, api + url]));

try {
  // ---- events_fdw -------------------------------------------------------
  const evCols = cols(['id', 'text'], ['type', 'text'], ['actor', 'jsonb'], ['actor_login', 'text'], ['created_at', 'timestamp with time zone']);
  const events = new Guest(path.join(guestDir, 'events_fdw.wasm'), { fields: { actor_login: 'actor.login' } });
  const ein = (extra = {}) => ({ server: { api_url: api + '/' }, table: { object: 'events' }, columns: evCols, targets: [0, 1, 2, 3, 4], ...extra });
  const allEvents = [];
  for (let cursor = ''; ;) {
    const page = curlJson(`/events?limit=100${cursor ? '&cursor=' + cursor : ''}`);
    allEvents.push(...page.data);
    if (!page.next_cursor) break;
    cursor = page.next_cursor;
  }

  test('events_fdw: validate', () => {
    expectError(() => events.call('fdw_validate', { server: {}, catalog: 'server' }), /api_url/);
    events.call('fdw_validate', { server: { api_url: api }, catalog: 'server' });
    expectError(() => events.call('fdw_validate', { server: { api_url: api }, table: {}, columns: evCols, catalog: 'table' }), /object/);
    expectError(() => events.call('fdw_validate', { server: { api_url: api }, table: { object: 'events' },
      columns: cols(['id', 'text'], ['n', 'numeric']), catalog: 'table' }), /column n has type numeric/);
    events.call('fdw_validate', { server: { api_url: api }, table: { object: 'events' },
      columns: cols(['id', 'character varying(10)'], ['t', 'timestamp without time zone'], ['i', 'integer'], ['j', 'json']), catalog: 'table' });
  });

  test('events_fdw: plan', () => {
    assert.deepEqual(events.call('fdw_plan', ein()), { rows: 1000, startup_cost: 100, exact: [], sort: false, limit: true });
    assert.deepEqual(events.call('fdw_plan', ein({ quals: [{ column: 0, op: '=', value: 'e0001' }] })).rows, 1);
    assert.deepEqual(events.call('fdw_plan', ein({
      quals: [{ column: 1, op: '=', value: 'PushEvent' }, { column: 1, op: '=', value: 'WatchEvent' },
        { column: 4, op: '>', value: '2024-01-01T01:00:00Z' }, { column: 3, op: '~~', value: 'user%' }],
      sorts: [{ column: 4, desc: true, nulls_first: true }],
    })), { rows: 100, startup_cost: 100, exact: [0, 2], sort: true, limit: false });
    assert.deepEqual(events.call('fdw_plan', ein({ quals: [{ column: 0, op: '=', param: true }] })).exact, [0]);
    assert.deepEqual(events.call('fdw_plan', ein({ quals: [{ column: 0, op: '=', value: ['a', 'b,c'], any: true }] })).exact, []);
  });

  test('events_fdw: a full scan pages through all 1,000 events; jsonb and field columns', () => {
    const before = curlJson('/_stats').requests['/events'] || 0;
    const rows = events.scan(ein());
    assert.equal(rows.length, 1000);
    assert.deepEqual(rows[4], ['e0005', allEvents[4].type, JSON.stringify(allEvents[4].actor), allEvents[4].actor.login, allEvents[4].created_at]);
    assert.equal(curlJson('/_stats').requests['/events'] - before, 10);
  });

  test('events_fdw: filters, sort, limit and offset go to the API', () => {
    const push = allEvents.filter((e) => e.type === 'PushEvent');
    const r1 = events.scan(ein({ targets: [0], quals: [{ column: 1, op: '=', value: 'PushEvent' }] }));
    assert.deepEqual(r1.map((r) => r[0]), push.map((e) => e.id));
    const login = allEvents[10].actor.login;
    const r2 = events.scan(ein({ targets: [0], quals: [{ column: 3, op: '=', value: login }, { column: 4, op: '<', value: '2024-01-01T10:00:00Z' }] }));
    assert.deepEqual(r2.map((r) => r[0]), allEvents.filter((e) => e.actor.login === login && e.created_at < '2024-01-01T10:00:00Z').map((e) => e.id));
    const r3 = events.scan(ein({ targets: [0, 4], quals: [{ column: 4, op: '>', value: '2024-01-01T16:30:00Z' }],
      sorts: [{ column: 4, desc: true, nulls_first: true }], limit: 3, offset: 2 }));
    assert.deepEqual(r3.map((r) => r[0]), ['e0998', 'e0997', 'e0996']);
    const r4 = events.scan(ein({ targets: [0], limit: 150, offset: 120 }));
    assert.deepEqual(r4.map((r) => r[0]), allEvents.slice(120, 270).map((e) => e.id));
    const req = events.requests.at(-1);
    assert.match(req.url, /^http:\/\/127\.0\.0\.1:\d+\/events\?limit=\d+&cursor=c\d+$/);
    assert.deepEqual(req.headers, [['Accept', 'application/json']]);
  });

  test('events_fdw: id =, id = ANY, and a parameter at rescan', () => {
    assert.deepEqual(events.scan(ein({ targets: [0, 1], quals: [{ column: 0, op: '=', value: 'e0007' }] })),
      [['e0007', allEvents[6].type]]);
    assert.deepEqual(events.scan(ein({ targets: [0], quals: [{ column: 0, op: '=', value: 'nope' }] })), []);
    assert.deepEqual(events.scan(ein({ targets: [0], quals: [{ column: 0, op: '=', value: ['e0003', 'e0001', 'zz'], any: true }] })),
      [['e0001'], ['e0003']]);
    const input = ein({ targets: [0], quals: [{ column: 1, op: '~~', value: '%' }, { column: 0, op: '=', value: 'e0002', param: true }] });
    assert.deepEqual(events.scan(input), [['e0002']]);
    assert.deepEqual(events.rescan(input, ['e0100']), [['e0100']]);
    assert.deepEqual(events.rescan(input, [null]), []);
    assert.equal(events.requests.at(-1).url, `${api}/events/e0100`);
  });

  test('events_fdw: 429 is retried after Retry-After', () => {
    events.sleeps = [];
    const rows = events.scan(ein({ table: { object: 'limited/events' }, targets: [0], quals: [{ column: 1, op: '=', value: 'ForkEvent' }] }));
    assert.deepEqual(rows.map((r) => r[0]), allEvents.filter((e) => e.type === 'ForkEvent').map((e) => e.id));
    assert.ok(events.sleeps.length >= 2 && events.sleeps.every((ms) => ms === 1000), `sleeps ${events.sleeps}`);
  });

  test('events_fdw: HTTP errors name the status and the body', () => {
    const msg = expectError(() => events.scan(ein({ table: { object: 'status/503' } })), /HTTP status 503: \{"status": 503/);
    assert.ok(msg.length < 300);
    expectError(() => events.scan(ein({ table: { object: 'malformed' } })), /not JSON/);
    expectError(() => events.scan(ein({ table: { object: 'wrong-shape' } })), /no array data/);
  });

  // ---- users_fdw --------------------------------------------------------
  execFileSync('curl', ['-s', '-X', 'POST', api + '/_reset']);
  const users = new Guest(path.join(guestDir, 'users_fdw.wasm'));
  const uCols = cols(['id', 'text'], ['name', 'text'], ['email', 'text'], ['age', 'integer']);
  const uin = (extra = {}) => ({ server: { api_url: api }, table: { object: 'users' }, user: { api_key: 'secret-token-123' },
    columns: uCols, targets: [0, 1, 2, 3], ...extra });

  test('users_fdw: validate, plan, scan with the bearer token', () => {
    expectError(() => users.call('fdw_validate', { server: { api_url: api }, user: {}, catalog: 'user_mapping' }), /api_key/);
    assert.deepEqual(users.call('fdw_plan', uin({ quals: [{ column: 0, op: '=', value: 'u1' }] })), { rows: 1, exact: [0] });
    const rows = users.scan(uin());
    assert.deepEqual(rows[0], ['u1', 'alice', 'alice@example.com', 30]);
    assert.equal(rows.length, 5);
    assert.equal(curlJson('/_stats').authorization_length['/users'], 'Bearer secret-token-123'.length);
    assert.deepEqual(users.scan(uin({ quals: [{ column: 0, op: '=', value: 'u3' }] })), [['u3', 'carol', 'carol@example.com', 32]]);
    const msg = expectError(() => users.scan(uin({ user: { api_key: 'wrong-key-456' } })), /HTTP status 401: \{"error": "bad token"\}/);
    assert.ok(!msg.includes('wrong-key-456'));
  });

  test('users_fdw: insert, update, delete return the remote rows', () => {
    users.call('fdw_begin_modify', uin({ rowid_column: 0 }));
    const ins = users.call('fdw_insert', { row: [null, 'zed "z"\n', 'z@example.com', 40] });
    assert.deepEqual(ins, ['u6', 'zed "z"\n', 'z@example.com', 40]);
    const upd = users.call('fdw_update', { rowid: 'u6', row: ['u6', 'zed', 'other@example.com', 41], changed: [3] });
    assert.deepEqual(upd, ['u6', 'zed "z"\n', 'z@example.com', 41]);
    assert.equal(users.requests.at(-1).method, 'PATCH');
    assert.equal(Buffer.from(users.requests.at(-1).body).toString(), '{"age":41}');
    assert.equal(users.call('fdw_delete', { rowid: 'u6' }), undefined);
    assert.equal(users.requests.at(-1).method, 'DELETE');
    assert.equal(curlJson('/users/u6', '-H', 'Authorization: Bearer secret-token-123').error, 'not found');
    users.x.fdw_end_modify();
  });

  test('users_fdw: IMPORT FOREIGN SCHEMA returns /schema\'s tables', () => {
    const tables = users.call('fdw_import_foreign_schema', { server: { api_url: api }, user: { api_key: 'k' },
      remote_schema: 'api', local_schema: 'public', options: {} });
    assert.deepEqual(plain(tables), curlJson('/schema').tables);
  });
} finally {
  server.kill('SIGTERM');
}
console.log(`1..${passed}`);
