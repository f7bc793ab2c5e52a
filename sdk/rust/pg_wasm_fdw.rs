//! pg_wasm_fdw.rs: the guest SDK for pg_wasm's foreign data wrappers in Rust,
//! guest ABI version 1 (docs/fdw.md). One file, std only, for Debian's rustc
//! (1.63 and later) without cargo:
//!
//!   rustc --edition 2021 --target wasm32-unknown-unknown --crate-type cdylib \
//!       -C opt-level=2 -C panic=abort -o my_fdw.wasm my_fdw.rs
//!
//! with, in my_fdw.rs:
//!
//!   #[path = "<repo>/sdk/rust/pg_wasm_fdw.rs"]
//!   mod pg_wasm_fdw;
//!   use pg_wasm_fdw::*;
//!   pg_wasm_fdw_host_requirement!("^1.0");
//!
//! It defines the exports every FDW module needs (pg_wasm_fdw_v1,
//! pg_wasm_alloc, pg_wasm_free; memory is Rust's) and offers: the host's
//! functions (http, json_rows, sleep, epoch_ms, RFC 3339, jwt), a
//! MessagePack writer (`Mp`) and reader (`Value::decode`), the routines'
//! inputs (`Input`: options, columns, targets, quals, sorts, limit, params),
//! a batch writer (`Batch`) and `result` for a routine's MessagePack result.
//! The guest writes its routines itself as `#[no_mangle] pub extern "C" fn
//! fdw_begin_scan(ptr: i32, len: i32)` and so on, reading their input with
//! `Input::read(ptr, len)`. A panic traps (build with -C panic=abort); an
//! error for the user goes through `error()` (SQLSTATE HV000).
#![allow(dead_code)]

use std::cell::UnsafeCell;

// ---- Exports every FDW module has -------------------------------------------

/// The module implements the FDW guest ABI, version 1.
#[no_mangle]
pub extern "C" fn pg_wasm_fdw_v1() {}

// pg_wasm_alloc and pg_wasm_free, over Rust's allocator: the same for every
// pg_wasm ABI.
#[path = "guest_alloc.rs"]
mod guest_alloc;

/// Defines the export fdw_host_version_requirement: a semver requirement on
/// the host's FDW API version ("^1.0", ">=1.0, <2"). Use once.
#[macro_export]
macro_rules! pg_wasm_fdw_host_requirement {
    ($req:expr) => {
        #[no_mangle]
        pub extern "C" fn fdw_host_version_requirement() -> i64 {
            static REQ: &str = $req;
            ((REQ.len() as i64) << 32) | (REQ.as_ptr() as usize as i64)
        }
    };
}

// ---- The host's functions ------------------------------------------------------

#[link(wasm_import_module = "pg_wasm")]
extern "C" {
    #[link_name = "log"]
    fn host_log(level: i32, ptr: *const u8, len: i32);
    #[link_name = "error"]
    fn host_error(ptr: *const u8, len: i32) -> !;
}

#[link(wasm_import_module = "pg_wasm_fdw")]
extern "C" {
    #[link_name = "take"]
    fn host_take(ptr: *mut u8);
    #[link_name = "http"]
    fn host_http(ptr: *const u8, len: i32) -> i32;
    #[link_name = "json_rows"]
    fn host_json_rows(ptr: *const u8, len: i32) -> i32;
    #[link_name = "sleep"]
    fn host_sleep(ms: i32);
    #[link_name = "epoch_ms"]
    fn host_epoch_ms() -> i64;
    #[link_name = "parse_rfc3339"]
    fn host_parse_rfc3339(ptr: *const u8, len: i32) -> i64;
    #[link_name = "format_rfc3339"]
    fn host_format_rfc3339(micros: i64) -> i32;
    #[link_name = "jwt"]
    fn host_jwt(ptr: *const u8, len: i32) -> i32;
}

pub const DEBUG: i32 = 0;
pub const LOG: i32 = 1;
pub const INFO: i32 = 2;
pub const NOTICE: i32 = 3;
pub const WARNING: i32 = 4;

/// Reports a message at a level (DEBUG ... WARNING).
pub fn log(level: i32, message: &str) {
    unsafe { host_log(level, message.as_ptr(), message.len() as i32) }
}

/// Raises an ERROR (SQLSTATE HV000) with the message; does not return.
pub fn error(message: &str) -> ! {
    unsafe { host_error(message.as_ptr(), message.len() as i32) }
}

// The bytes the last host call left, `size` of them.
fn take(size: i32) -> Vec<u8> {
    let n = if size > 0 { size as usize } else { 0 };
    let mut v = vec![0u8; n];
    if n > 0 {
        unsafe { host_take(v.as_mut_ptr()) }
    }
    v
}

/// Waits; a cancel or statement_timeout ends it (and the statement).
pub fn sleep(ms: i32) {
    unsafe { host_sleep(ms) }
}

/// Milliseconds since 1970-01-01 UTC.
pub fn epoch_ms() -> i64 {
    unsafe { host_epoch_ms() }
}

/// Microseconds since 1970-01-01 UTC of an RFC 3339 time; an error if it is
/// not one.
pub fn parse_rfc3339(text: &str) -> i64 {
    unsafe { host_parse_rfc3339(text.as_ptr(), text.len() as i32) }
}

/// The RFC 3339 text (UTC, Z) of microseconds since 1970.
pub fn format_rfc3339(micros: i64) -> String {
    let bytes = take(unsafe { host_format_rfc3339(micros) });
    String::from_utf8(bytes).unwrap_or_default()
}

/// A signed JSON Web Token: alg "HS256" or "RS256"; claims and header are
/// MessagePack maps written with `Mp`.
pub fn jwt(alg: &str, key: &str, claims: &Mp, header: Option<&Mp>) -> String {
    let mut r = Mp::new();
    r.map(if header.is_some() { 4 } else { 3 });
    r.str("alg").str(alg).str("key").str(key).str("claims").raw(&claims.buf);
    if let Some(h) = header {
        r.str("header").raw(&h.buf);
    }
    let bytes = take(unsafe { host_jwt(r.buf.as_ptr(), r.buf.len() as i32) });
    String::from_utf8(bytes).unwrap_or_default()
}

/// Gives the running scan the rows of the JSON document's array at `path`
/// (dotted; "" for the document itself). Call it in fdw_iter_scan and return
/// 0 from there. Returns how many rows.
pub fn json_rows(json: &[u8], path: &str) -> i32 {
    let mut r = Mp::new();
    r.map(2).str("json").bin(json).str("path").str(path);
    unsafe { host_json_rows(r.buf.as_ptr(), r.buf.len() as i32) }
}

pub struct Response {
    pub status: i64,
    /// (name, value); names lower-cased.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// The first header named `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// Raises an error naming the status and the start of the body when the
    /// status is 400 or more.
    pub fn check(&self) {
        if self.status < 400 {
            return;
        }
        let mut n = self.body.len().min(200);
        while n > 0 && n < self.body.len() && (self.body[n] & 0xc0) == 0x80 {
            n -= 1;
        }
        let more = if n < self.body.len() { "..." } else { "" };
        error(&format!("HTTP status {}: {}{}", self.status, String::from_utf8_lossy(&self.body[..n]), more));
    }
}

/// One HTTP request (method "GET", "POST", ...). What cannot be done (a host
/// not allowed, no connection, a timeout) is an error the guest does not
/// see; a 4xx or 5xx status is a response like any other.
pub fn http(method: &str, url: &str, headers: &[(&str, &str)], body: Option<&[u8]>) -> Response {
    let mut r = Mp::new();
    r.map(if body.is_some() { 4 } else { 3 });
    r.str("method").str(method).str("url").str(url).str("headers").array(headers.len());
    for (k, v) in headers {
        r.array(2).str(k).str(v);
    }
    if let Some(b) = body {
        r.str("body").bin(b);
    }
    let bytes = take(unsafe { host_http(r.buf.as_ptr(), r.buf.len() as i32) });
    let v = match Value::decode(&bytes) {
        Some(v) => v,
        None => error("pg_wasm FDW SDK: a malformed response"),
    };
    let mut resp = Response { status: 0, headers: Vec::new(), body: Vec::new() };
    resp.status = v.get("status").and_then(Value::as_int).unwrap_or(0);
    for h in v.get("headers").map(Value::items).unwrap_or(&[]) {
        let pair = h.items();
        if pair.len() == 2 {
            if let (Some(k), Some(val)) = (pair[0].as_str(), pair[1].as_str()) {
                resp.headers.push((k.to_string(), val.to_string()));
            }
        }
    }
    resp.body = v.get("body").and_then(Value::as_bytes).unwrap_or(&[]).to_vec();
    resp
}

/// An HTTP GET.
pub fn http_get(url: &str, headers: &[(&str, &str)]) -> Response {
    http("GET", url, headers, None)
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
pub fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &c in s.as_bytes() {
        if c.is_ascii_alphanumeric() || c == b'-' || c == b'_' || c == b'.' || c == b'~' {
            out.push(c as char);
        } else {
            out.push_str(&format!("%{:02X}", c));
        }
    }
    out
}

// ---- MessagePack writer ---------------------------------------------------------

/// A MessagePack writer; every value in its shortest form.
#[derive(Default)]
pub struct Mp {
    pub buf: Vec<u8>,
}

impl Mp {
    pub fn new() -> Mp {
        Mp { buf: Vec::new() }
    }
    fn be(&mut self, v: u64, n: usize) -> &mut Mp {
        for i in (0..n).rev() {
            self.buf.push((v >> (8 * i)) as u8);
        }
        self
    }
    pub fn raw(&mut self, bytes: &[u8]) -> &mut Mp {
        self.buf.extend_from_slice(bytes);
        self
    }
    pub fn nil(&mut self) -> &mut Mp {
        self.buf.push(0xc0);
        self
    }
    pub fn bool(&mut self, v: bool) -> &mut Mp {
        self.buf.push(if v { 0xc3 } else { 0xc2 });
        self
    }
    pub fn uint(&mut self, v: u64) -> &mut Mp {
        if v < 128 {
            self.buf.push(v as u8);
            self
        } else if v < 256 {
            self.buf.push(0xcc);
            self.be(v, 1)
        } else if v < 65536 {
            self.buf.push(0xcd);
            self.be(v, 2)
        } else if v <= 0xffff_ffff {
            self.buf.push(0xce);
            self.be(v, 4)
        } else {
            self.buf.push(0xcf);
            self.be(v, 8)
        }
    }
    pub fn int(&mut self, v: i64) -> &mut Mp {
        if v >= 0 {
            self.uint(v as u64)
        } else if v >= -32 {
            self.buf.push(v as u8);
            self
        } else if v >= -128 {
            self.buf.push(0xd0);
            self.be(v as u64, 1)
        } else if v >= -32768 {
            self.buf.push(0xd1);
            self.be(v as u64, 2)
        } else if v >= -2147483648 {
            self.buf.push(0xd2);
            self.be(v as u64, 4)
        } else {
            self.buf.push(0xd3);
            self.be(v as u64, 8)
        }
    }
    pub fn float(&mut self, v: f64) -> &mut Mp {
        self.buf.push(0xcb);
        self.be(v.to_bits(), 8)
    }
    fn bytes(&mut self, str: bool, b: &[u8]) -> &mut Mp {
        let n = b.len() as u64;
        if str && n < 32 {
            self.buf.push(0xa0 | n as u8);
        } else if n < 256 {
            self.buf.push(if str { 0xd9 } else { 0xc4 });
            self.be(n, 1);
        } else if n < 65536 {
            self.buf.push(if str { 0xda } else { 0xc5 });
            self.be(n, 2);
        } else {
            self.buf.push(if str { 0xdb } else { 0xc6 });
            self.be(n, 4);
        }
        self.raw(b)
    }
    pub fn str(&mut self, s: &str) -> &mut Mp {
        self.bytes(true, s.as_bytes())
    }
    pub fn bin(&mut self, b: &[u8]) -> &mut Mp {
        self.bytes(false, b)
    }
    pub fn array(&mut self, n: usize) -> &mut Mp {
        if n < 16 {
            self.buf.push(0x90 | n as u8);
            self
        } else if n < 65536 {
            self.buf.push(0xdc);
            self.be(n as u64, 2)
        } else {
            self.buf.push(0xdd);
            self.be(n as u64, 4)
        }
    }
    pub fn map(&mut self, n: usize) -> &mut Mp {
        if n < 16 {
            self.buf.push(0x80 | n as u8);
            self
        } else if n < 65536 {
            self.buf.push(0xde);
            self.be(n as u64, 2)
        } else {
            self.buf.push(0xdf);
            self.be(n as u64, 4)
        }
    }
    /// Writes a decoded value back (a qual's value handed through).
    pub fn value(&mut self, v: &Value) -> &mut Mp {
        match v {
            Value::Nil => self.nil(),
            Value::Bool(b) => self.bool(*b),
            Value::Int(i) => self.int(*i),
            Value::UInt(u) => self.uint(*u),
            Value::Float(f) => self.float(*f),
            Value::Str(s) => self.bytes(true, s),
            Value::Bin(b) => self.bin(b),
            Value::Array(items) => {
                self.array(items.len());
                for i in items {
                    self.value(i);
                }
                self
            }
            Value::Map(entries) => {
                self.map(entries.len());
                for (k, v) in entries {
                    self.value(k);
                    self.value(v);
                }
                self
            }
            Value::Ext => self.nil(),
        }
    }
}

// ---- MessagePack reader -----------------------------------------------------------

/// A decoded MessagePack value; strings and bytes borrow from the input.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    Nil,
    Bool(bool),
    Int(i64),
    /// An unsigned integer over i64::MAX.
    UInt(u64),
    Float(f64),
    Str(&'a [u8]),
    Bin(&'a [u8]),
    Array(Vec<Value<'a>>),
    Map(Vec<(Value<'a>, Value<'a>)>),
    Ext,
}

/// The deepest nesting the reader accepts.
pub const MAX_DEPTH: usize = 64;

struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn bytes(&mut self, n: u64) -> Option<&'a [u8]> {
        let left = (self.b.len() - self.at) as u64;
        if n > left {
            return None;
        }
        let s = &self.b[self.at..self.at + n as usize];
        self.at += n as usize;
        Some(s)
    }
    fn be(&mut self, n: u64) -> Option<u64> {
        Some(self.bytes(n)?.iter().fold(0u64, |v, &c| (v << 8) | c as u64))
    }
    fn count(&mut self, n: u64, per: u64) -> Option<usize> {
        // every value takes at least one byte: refuse counts the input cannot hold
        if n.checked_mul(per)? > (self.b.len() - self.at) as u64 {
            return None;
        }
        Some(n as usize)
    }
    fn value(&mut self, depth: usize) -> Option<Value<'a>> {
        if depth > MAX_DEPTH {
            return None;
        }
        let c = self.bytes(1)?[0];
        Some(match c {
            0x00..=0x7f => Value::Int(c as i64),
            0xe0..=0xff => Value::Int(c as i8 as i64),
            0x80..=0x8f => self.map_of((c & 0x0f) as u64, depth)?,
            0x90..=0x9f => self.array_of((c & 0x0f) as u64, depth)?,
            0xa0..=0xbf => Value::Str(self.bytes((c & 0x1f) as u64)?),
            0xc0 => Value::Nil,
            0xc2 => Value::Bool(false),
            0xc3 => Value::Bool(true),
            0xc4 | 0xc5 | 0xc6 => {
                let n = self.be(1 << (c - 0xc4))?;
                Value::Bin(self.bytes(n)?)
            }
            0xc7 | 0xc8 | 0xc9 => {
                let n = self.be(1 << (c - 0xc7))?;
                self.bytes(n + 1)?;
                Value::Ext
            }
            0xca => Value::Float(f32::from_bits(self.be(4)? as u32) as f64),
            0xcb => Value::Float(f64::from_bits(self.be(8)?)),
            0xcc..=0xcf => {
                let v = self.be(1 << (c - 0xcc))?;
                if v > i64::MAX as u64 {
                    Value::UInt(v)
                } else {
                    Value::Int(v as i64)
                }
            }
            0xd0 => Value::Int(self.be(1)? as u8 as i8 as i64),
            0xd1 => Value::Int(self.be(2)? as u16 as i16 as i64),
            0xd2 => Value::Int(self.be(4)? as u32 as i32 as i64),
            0xd3 => Value::Int(self.be(8)? as i64),
            0xd4..=0xd8 => {
                self.bytes(1 + (1u64 << (c - 0xd4)))?;
                Value::Ext
            }
            0xd9 | 0xda | 0xdb => {
                let n = self.be(1 << (c - 0xd9))?;
                Value::Str(self.bytes(n)?)
            }
            0xdc | 0xdd => {
                let n = self.be(if c == 0xdc { 2 } else { 4 })?;
                self.array_of(n, depth)?
            }
            0xde | 0xdf => {
                let n = self.be(if c == 0xde { 2 } else { 4 })?;
                self.map_of(n, depth)?
            }
            _ => return None, // 0xc1
        })
    }
    fn array_of(&mut self, n: u64, depth: usize) -> Option<Value<'a>> {
        let n = self.count(n, 1)?;
        let mut items = Vec::with_capacity(n);
        for _ in 0..n {
            items.push(self.value(depth + 1)?);
        }
        Some(Value::Array(items))
    }
    fn map_of(&mut self, n: u64, depth: usize) -> Option<Value<'a>> {
        let n = self.count(n, 2)?;
        let mut entries = Vec::with_capacity(n);
        for _ in 0..n {
            let k = self.value(depth + 1)?;
            let v = self.value(depth + 1)?;
            entries.push((k, v));
        }
        Some(Value::Map(entries))
    }
}

impl<'a> Value<'a> {
    /// The one value of `bytes`; None when it is malformed, truncated, nested
    /// deeper than MAX_DEPTH or followed by more bytes.
    pub fn decode(bytes: &'a [u8]) -> Option<Value<'a>> {
        let mut r = Reader { b: bytes, at: 0 };
        let v = r.value(0)?;
        if r.at == bytes.len() {
            Some(v)
        } else {
            None
        }
    }
    /// A map's value at a string key.
    pub fn get(&self, key: &str) -> Option<&Value<'a>> {
        match self {
            Value::Map(entries) => entries
                .iter()
                .find(|(k, _)| matches!(k, Value::Str(s) if *s == key.as_bytes()))
                .map(|(_, v)| v),
            _ => None,
        }
    }
    /// An array's items (none for anything else).
    pub fn items(&self) -> &[Value<'a>] {
        match self {
            Value::Array(items) => items,
            _ => &[],
        }
    }
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }
    pub fn as_float(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::UInt(u) => Some(*u as f64),
            Value::Float(f) => Some(*f),
            _ => None,
        }
    }
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }
    /// A str as UTF-8 text.
    pub fn as_str(&self) -> Option<&'a str> {
        match self {
            Value::Str(s) => std::str::from_utf8(s).ok(),
            _ => None,
        }
    }
    /// A str's or a bin's bytes.
    pub fn as_bytes(&self) -> Option<&'a [u8]> {
        match self {
            Value::Str(s) | Value::Bin(s) => Some(s),
            _ => None,
        }
    }
    pub fn is_nil(&self) -> bool {
        matches!(self, Value::Nil)
    }
}

// ---- Routine inputs -----------------------------------------------------------------

#[derive(Debug, Clone)]
pub struct Column {
    pub name: String,
    /// As format_type writes it: "timestamp with time zone".
    pub type_name: String,
    /// The attribute number.
    pub num: i64,
}

#[derive(Debug, Clone)]
pub struct Qual<'a> {
    /// An index into columns.
    pub column: usize,
    /// "=", "<>", "<", "<=", ">", ">=", "~~", "~~*", "!~~", "!~~*", "is_null",
    /// "is_not_null".
    pub op: &'a str,
    /// None for is_null, is_not_null and a param; an array with `any`.
    pub value: Option<&'a Value<'a>>,
    pub any: bool,
    /// A join's outer value: given at fdw_re_scan.
    pub param: bool,
}

#[derive(Debug, Clone, Copy)]
pub struct Sort {
    pub column: usize,
    pub desc: bool,
    pub nulls_first: bool,
}

/// A routine's input map, decoded. It borrows the host's bytes, valid
/// during the routine only: copy (to_string, to_vec) what a later routine
/// needs.
pub struct Input<'a> {
    pub root: Value<'a>,
}

impl<'a> Input<'a> {
    /// The input of a routine called with (ptr, len).
    pub fn read(ptr: i32, len: i32) -> Input<'static> {
        let bytes: &'static [u8] = if len <= 0 {
            &[]
        } else {
            unsafe { std::slice::from_raw_parts(ptr as usize as *const u8, len as usize) }
        };
        match Value::decode(bytes) {
            Some(root) => Input { root },
            None => error("pg_wasm FDW SDK: the host's input is not MessagePack"),
        }
    }
    /// An option: section "server", "table" or "user".
    pub fn opt(&self, section: &str, name: &str) -> Option<&'a str> {
        self.root.get(section)?.get(name)?.as_str()
    }
    pub fn columns(&self) -> Vec<Column> {
        self.list("columns")
            .iter()
            .map(|c| Column {
                name: c.get("name").and_then(Value::as_str).unwrap_or("").to_string(),
                type_name: c.get("type").and_then(Value::as_str).unwrap_or("").to_string(),
                num: c.get("num").and_then(Value::as_int).unwrap_or(0),
            })
            .collect()
    }
    /// The index in columns of the column named `name`.
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.list("columns")
            .iter()
            .position(|c| c.get("name").and_then(Value::as_str) == Some(name))
    }
    /// Indexes into columns: the cells each row gives, in this order.
    pub fn targets(&self) -> Vec<usize> {
        self.list("targets").iter().filter_map(Value::as_int).map(|t| t as usize).collect()
    }
    pub fn quals(&self) -> Vec<Qual<'_>> {
        self.list("quals")
            .iter()
            .map(|q| Qual {
                column: q.get("column").and_then(Value::as_int).unwrap_or(-1) as usize,
                op: q.get("op").and_then(Value::as_str).unwrap_or(""),
                value: q.get("value"),
                any: q.get("any").and_then(Value::as_bool).unwrap_or(false),
                param: q.get("param").and_then(Value::as_bool).unwrap_or(false),
            })
            .collect()
    }
    pub fn sorts(&self) -> Vec<Sort> {
        self.list("sorts")
            .iter()
            .map(|s| Sort {
                column: s.get("column").and_then(Value::as_int).unwrap_or(-1) as usize,
                desc: s.get("desc").and_then(Value::as_bool).unwrap_or(false),
                nulls_first: s.get("nulls_first").and_then(Value::as_bool).unwrap_or(false),
            })
            .collect()
    }
    /// The pushed-down (limit, offset), when there is a limit.
    pub fn limit(&self) -> Option<(i64, i64)> {
        let limit = self.root.get("limit")?.as_int()?;
        Some((limit, self.root.get("offset").and_then(Value::as_int).unwrap_or(0)))
    }
    /// fdw_re_scan's params, in the order of the quals with param.
    pub fn params(&self) -> &[Value<'a>] {
        self.list("params")
    }
    fn list(&self, key: &str) -> &[Value<'a>] {
        self.root.get(key).map(Value::items).unwrap_or(&[])
    }
}

// ---- Results ------------------------------------------------------------------------------

// The host reads a result before it calls the module again, so the last
// one lives here until then.
struct Output(UnsafeCell<Vec<u8>>);
unsafe impl Sync for Output {}
static OUTPUT: Output = Output(UnsafeCell::new(Vec::new()));

/// A routine's result, (len << 32) | ptr of the bytes (kept until the next
/// result).
pub fn result(bytes: Vec<u8>) -> i64 {
    unsafe {
        let out = &mut *OUTPUT.0.get();
        *out = bytes;
        ((out.len() as i64) << 32) | (out.as_ptr() as usize as i64)
    }
}

/// A batch of rows for fdw_iter_scan: `row(n)` then n cells, for each row;
/// `finish()` is the routine's result. A batch of no rows ends the scan.
pub struct Batch {
    pub mp: Mp,
    rows: u32,
}

impl Batch {
    pub fn new() -> Batch {
        let mut mp = Mp::new();
        mp.buf.extend_from_slice(&[0xdd, 0, 0, 0, 0]); // array 32, its count at the end
        Batch { mp, rows: 0 }
    }
    pub fn rows(&self) -> u32 {
        self.rows
    }
    pub fn row(&mut self, cells: usize) -> &mut Mp {
        self.rows += 1;
        self.mp.array(cells)
    }
    pub fn finish(mut self) -> i64 {
        let n = self.rows.to_be_bytes();
        self.mp.buf[1..5].copy_from_slice(&n);
        result(self.mp.buf)
    }
}
