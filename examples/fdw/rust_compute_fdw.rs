//! rust_compute_fdw: compute_fdw.c in Rust, with sdk/rust/pg_wasm_fdw.rs: a
//! foreign table computed by the guest, no network.
//!
//!   CREATE SERVER rcompute FOREIGN DATA WRAPPER wasm_wrapper OPTIONS (module 'rust_compute_fdw');
//!   CREATE FOREIGN TABLE rnumbers (n int8, square int8, label text, even bool, other text)
//!       SERVER rcompute OPTIONS (count '100');
//!
//! Table option `count`: rows to generate (default 10). Columns are filled by
//! name: n (1..count), square (n*n), label ('row ' || n), even (n % 2 = 0);
//! any other column is NULL. Quals n =, n <, n <= on an integer are applied
//! exactly (n = a join's outer value too, at each rescan); rows come in the
//! order of n, so ORDER BY n is exact, and LIMIT/OFFSET when every qual is.
//! Rows travel in batches of 500.
#[path = "../../sdk/rust/pg_wasm_fdw.rs"]
mod pg_wasm_fdw;

use pg_wasm_fdw::*;
use std::cell::RefCell;

pg_wasm_fdw_host_requirement!("^1.0");

const BATCH: i64 = 500;

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Null,
    N,
    Square,
    Label,
    Even,
}

fn kind_of(name: &str) -> Kind {
    match name {
        "n" => Kind::N,
        "square" => Kind::Square,
        "label" => Kind::Label,
        "even" => Kind::Even,
        _ => Kind::Null,
    }
}

// Whether the guest applies this qual exactly: n =, n <, n <= with an
// integer value (or, for =, a join's parameter). Plan and scan decide alike.
fn qual_exact(q: &Qual, n_column: Option<usize>) -> bool {
    if Some(q.column) != n_column || q.any {
        return false;
    }
    let (eq, lt, le) = (q.op == "=", q.op == "<", q.op == "<=");
    if !eq && !lt && !le {
        return false;
    }
    if q.param {
        return eq;
    }
    q.value.and_then(Value::as_int).is_some()
}

fn table_count(input: &Input) -> i64 {
    match input.opt("table", "count") {
        None => 10,
        Some(v) => match v.parse::<i64>() {
            Ok(n) if n >= 0 => n,
            _ => error("rust_compute_fdw: option count must be a non-negative integer"),
        },
    }
}

#[no_mangle]
pub extern "C" fn fdw_validate(ptr: i32, len: i32) {
    let input = Input::read(ptr, len);
    if let Some(v) = input.opt("table", "count") {
        if !matches!(v.parse::<i64>(), Ok(n) if n >= 0) {
            error(&format!(
                "rust_compute_fdw: option count must be a non-negative integer, not \"{}\"",
                v
            ));
        }
    }
}

#[no_mangle]
pub extern "C" fn fdw_plan(ptr: i32, len: i32) -> i64 {
    let input = Input::read(ptr, len);
    let n_column = input.column_index("n");
    let mut rows = table_count(&input);
    let mut exact = Vec::new();
    let mut all_exact = true;
    for (i, q) in input.quals().iter().enumerate() {
        if !qual_exact(q, n_column) {
            all_exact = false;
            continue;
        }
        exact.push(i);
        if q.op == "=" {
            rows = rows.min(1);
        } else if let Some(v) = q.value.and_then(Value::as_int) {
            let bound = if q.op == "<" { v - 1 } else { v };
            rows = rows.min(bound.max(0));
        }
    }
    // Sorted by n ascending; the nulls clause is moot (n is never NULL).
    let sorts = input.sorts();
    let sorted = sorts.len() == 1 && Some(sorts[0].column) == n_column && !sorts[0].desc;
    let mut out = Mp::new();
    out.map(5).str("rows").int(rows).str("startup_cost").int(1).str("exact").array(exact.len());
    for i in exact {
        out.int(i as i64);
    }
    out.str("sort").bool(sorted).str("limit").bool(all_exact);
    result(out.buf)
}

#[derive(Default)]
struct Scan {
    kinds: Vec<Kind>,
    lo: i64,
    hi: i64,
    next: i64,
    last: i64,
    limit: Option<i64>,
    offset: i64,
    // the quals with param, in order: Some(value) for an exact n =, None
    // (ignored) otherwise; a NULL value matches no row
    params: Vec<(bool, Option<i64>)>,
}

thread_local! {
    static SCAN: RefCell<Scan> = RefCell::new(Scan::default());
}

impl Scan {
    // Sets next and last from the bounds, the params and limit/offset.
    fn start(&mut self) {
        let (mut lo, mut hi) = (self.lo, self.hi);
        for &(exact, value) in &self.params {
            if !exact {
                continue;
            }
            match value {
                None => hi = lo - 1,
                Some(v) => {
                    lo = lo.max(v);
                    hi = hi.min(v);
                }
            }
        }
        if lo > hi {
            self.next = 1;
            self.last = 0;
            return;
        }
        if self.offset > 0 {
            lo = if hi - lo < self.offset { hi + 1 } else { lo + self.offset };
        }
        if let Some(limit) = self.limit {
            if lo <= hi && hi - lo >= limit {
                hi = lo + limit - 1;
            }
        }
        self.next = lo;
        self.last = hi;
    }
}

fn param_value(v: &Value) -> Option<i64> {
    match v {
        Value::Nil => None,
        _ => match v.as_int() {
            Some(i) => Some(i),
            None => error("rust_compute_fdw: a parameter for n is not an integer"),
        },
    }
}

#[no_mangle]
pub extern "C" fn fdw_begin_scan(ptr: i32, len: i32) {
    let input = Input::read(ptr, len);
    let n_column = input.column_index("n");
    let columns = input.columns();
    let mut s = Scan::default();
    s.kinds = input
        .targets()
        .iter()
        .map(|&t| columns.get(t).map(|c| kind_of(&c.name)).unwrap_or(Kind::Null))
        .collect();
    s.lo = 1;
    s.hi = table_count(&input);
    for q in input.quals() {
        let exact = qual_exact(&q, n_column);
        if q.param {
            let value = if exact { q.value.map(param_value).unwrap_or(Some(0)) } else { None };
            s.params.push((exact, value));
            continue;
        }
        if !exact {
            continue;
        }
        let v = q.value.and_then(Value::as_int).unwrap_or(0);
        match q.op {
            "=" => {
                s.lo = s.lo.max(v);
                s.hi = s.hi.min(v);
            }
            "<" => s.hi = s.hi.min(v - 1),
            _ => s.hi = s.hi.min(v),
        }
    }
    if let Some((limit, offset)) = input.limit() {
        s.limit = Some(limit.max(0));
        s.offset = offset.max(0);
    }
    s.start();
    SCAN.with(|scan| *scan.borrow_mut() = s);
}

#[no_mangle]
pub extern "C" fn fdw_re_scan(ptr: i32, len: i32) {
    let input = Input::read(ptr, len);
    SCAN.with(|scan| {
        let mut s = scan.borrow_mut();
        for (i, v) in input.params().iter().enumerate() {
            if i < s.params.len() && s.params[i].0 {
                s.params[i].1 = param_value(v);
            }
        }
        s.start();
    });
}

#[no_mangle]
pub extern "C" fn fdw_iter_scan() -> i64 {
    SCAN.with(|scan| {
        let mut s = scan.borrow_mut();
        let mut b = Batch::new();
        let mut i = 0;
        while i < BATCH && s.next <= s.last {
            let n = s.next;
            let row = b.row(s.kinds.len());
            for k in &s.kinds {
                match k {
                    Kind::N => row.int(n),
                    // n*n overflows int8 past 3037000499: NULL then
                    Kind::Square => match n.checked_mul(n) {
                        Some(sq) => row.int(sq),
                        None => row.nil(),
                    },
                    Kind::Label => row.str(&format!("row {}", n)),
                    Kind::Even => row.bool(n % 2 == 0),
                    Kind::Null => row.nil(),
                };
            }
            s.next += 1;
            i += 1;
        }
        b.finish()
    })
}

#[no_mangle]
pub extern "C" fn fdw_end_scan() {
    SCAN.with(|scan| {
        let mut s = scan.borrow_mut();
        s.next = 1;
        s.last = 0;
    });
}
