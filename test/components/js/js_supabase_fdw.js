// The example of Supabase's `postgres-wasm-fdw` template (GitHub events) in
// JavaScript, for the world supabase:wrappers 0.1.0 that the template
// targets, built by componentize-js with its defaults (so the component also
// imports WASI 0.2). It does what test/components/guests/github_events.c
// does, and the template's SQL runs on it as written (regress suite
// fdw_supabase_js):
//
//   create server example_server foreign data wrapper wasm_wrapper options (
//     fdw_package_url '...', fdw_package_name 'my-company:example-fdw',
//     fdw_package_version '0.1.0', fdw_package_checksum '...',
//     api_url 'https://api.github.com');
//   create foreign table github.events (id text, type text, actor jsonb,
//     repo jsonb, payload jsonb, public boolean, created_at timestamp)
//     server example_server options (object 'events', rowid_column 'id');
//
// Server option api_url (default https://api.github.com); table option
// object (required). begin-scan GETs {api_url}/{object} through the host's
// http interface (the FDW's HTTP client, under the server's allowlist),
// fails on a 4xx/5xx status, and reports the length of the JSON array it
// got; iter-scan gives one row per element, each target column taking the
// member of its name: bool, string, timestamp(tz) from an RFC 3339 string,
// json from an object or array, integers and floats from numbers; another
// JSON type gives NULL, and a missing member is an error, as in the template.
//
// componentize-js maps the WIT as jco does: a variant is {tag, val}, an
// option T or undefined, s64 a BigInt, a resource a class whose methods are
// the WIT's, and an import returning a result returns its ok value or throws
// an error whose payload is the err value. An export returning a result
// returns {tag: 'ok', val} or {tag: 'err', val}: componentize-js 0.23.0 turns
// a throw into err only in exports without resource parameters (here a
// throw would trap), so every routine goes through routine() below.
import { get, errorForStatus } from 'supabase:wrappers/http@0.1.0';
import { parseFromRfc3339 } from 'supabase:wrappers/time@0.1.0';
import { reportInfo } from 'supabase:wrappers/utils@0.1.0';

let baseUrl = '';
let columns = []; // [{ name, type }] of the scan's target columns
let rows = []; // the response's array
let next = 0; // index of the next row in it
let maxRows = -1; // offset + count of the scan's limit, -1 for none

// An imported function's error (its payload), or a JavaScript error, as
// the message a routine fails with.
function message(e) {
  return typeof e === 'object' && e !== null && 'payload' in e ? String(e.payload) : String(e);
}

// A routine returning result<T, fdw-error>: its body's value as ok, what it
// throws as err.
function routine(body) {
  return (...args) => {
    try {
      return { tag: 'ok', val: body(...args) };
    } catch (e) {
      return { tag: 'err', val: message(e) };
    }
  };
}

// Handles the host gave this guest go back at once: each is an entry in the
// instance's handle table.
function dispose(resource) {
  (resource[Symbol.dispose] ?? resource[Symbol.for('dispose')])?.call(resource);
}

function cell(column, value) {
  switch (column.type) {
    case 'bool':
      return typeof value === 'boolean' ? { tag: 'bool', val: value } : undefined;
    case 'string':
      return typeof value === 'string' ? { tag: 'string', val: value } : undefined;
    case 'timestamp':
    case 'timestamptz':
      return typeof value === 'string'
        ? { tag: column.type, val: parseFromRfc3339(value) }
        : undefined;
    case 'json':
      return typeof value === 'object' && value !== null
        ? { tag: 'json', val: JSON.stringify(value) }
        : undefined;
    case 'i8':
    case 'i16':
    case 'i32':
      return Number.isInteger(value) ? { tag: column.type, val: value } : undefined;
    case 'i64':
      return Number.isInteger(value) ? { tag: 'i64', val: BigInt(value) } : undefined;
    case 'f32':
    case 'f64':
    case 'numeric':
      return typeof value === 'number' ? { tag: column.type, val: value } : undefined;
    default:
      throw `column ${column.name} data type is not supported`;
  }
}

export const routines = {
  hostVersionRequirement() {
    return '^0.1.0';
  },

  init: routine((ctx) => {
    const opts = ctx.getOptions({ tag: 'server' });
    baseUrl = opts.requireOr('api_url', 'https://api.github.com');
    dispose(opts);
  }),

  beginScan: routine((ctx) => {
    rows = [];
    next = 0;
    const opts = ctx.getOptions({ tag: 'table' });
    let object;
    try {
      object = opts.require('object');
    } finally {
      dispose(opts);
    }
    columns = ctx.getColumns().map((col) => {
      const c = { name: col.name(), type: col.typeOid().tag };
      dispose(col);
      return c;
    });

    // The limit counts rows after the quals and in the sort's order: this
    // guest applies neither, so it stops at the limit only without them.
    const quals = ctx.getQuals();
    const sorts = ctx.getSorts();
    const limit = ctx.getLimit();
    maxRows = -1;
    if (limit !== undefined) {
      if (quals.length === 0 && sorts.length === 0) maxRows = Number(limit.offset() + limit.count());
      dispose(limit);
    }
    quals.forEach(dispose);
    sorts.forEach(dispose);

    const resp = get({
      method: { tag: 'get' },
      url: `${baseUrl}/${object}`,
      headers: [['user-agent', 'Example FDW']],
      body: '',
    });
    errorForStatus(resp);
    let parsed;
    try {
      parsed = JSON.parse(resp.body);
    } catch {
      throw 'the response is not JSON';
    }
    if (!Array.isArray(parsed)) throw 'response should be a JSON array';
    rows = parsed;
    reportInfo(`We got response array length: ${rows.length}`);
  }),

  iterScan: routine((ctx, row) => {
    // none ends the scan; some(0) says the row is filled.
    if ((maxRows >= 0 && next >= maxRows) || next >= rows.length) return undefined;
    const obj = rows[next++];
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj))
      throw 'an element of the response is not an object';
    for (const column of columns) {
      if (!(column.name in obj)) throw `source column '${column.name}' not found`;
      row.push(cell(column, obj[column.name]));
    }
    return 0;
  }),

  reScan: routine((ctx) => {
    next = 0;
  }),

  endScan: routine((ctx) => {
    rows = [];
    columns = [];
  }),

  beginModify: routine((ctx) => {
    throw 'modify on foreign table is not supported';
  }),
  insert: routine((ctx, row) => {}),
  update: routine((ctx, rowid, row) => {}),
  delete: routine((ctx, rowid) => {}),
  endModify: routine((ctx) => {}),
};
