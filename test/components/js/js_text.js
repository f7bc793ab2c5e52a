// SQL functions over text in JavaScript, for the world js-text (js-text.wit).
// componentize-js maps WIT to JavaScript as jco does: string is a string,
// record a plain object, list an array, option<T> T or undefined, and a
// result<T, E> export returns T or throws (the thrown value becomes err).

export function slugify(s) {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
}

export function parsePoint(s) {
  const m = /^\s*\(\s*(-?\d+)\s*,\s*(-?\d+)\s*\)\s*$/.exec(s);
  if (!m) throw `not a point: "${s}"`;
  const x = Number(m[1]);
  const y = Number(m[2]);
  if (x !== (x | 0) || y !== (y | 0)) throw `coordinates out of range: ${s}`;
  return { x, y };
}

export function words(s) {
  return s.split(/\s+/).filter((w) => w.length > 0);
}

export function maybeLen(s) {
  return s === undefined ? undefined : s.length;
}

export function shout(s) {
  throw new Error(`shout refuses ${JSON.stringify(s)}`);
}

export function greet(s) {
  console.log(`greet called with ${s}`);
  return `hello, ${s}`;
}
