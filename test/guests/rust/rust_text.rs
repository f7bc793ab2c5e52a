//! A pg_wasm ABI v1 guest in Rust, built as a wasm32-wasi library with
//! Debian's rustc: the ABI by hand (docs/abi.md) but for the allocator the
//! SDK shares (sdk/rust/guest_alloc.rs), Rust's std for the work.

#[no_mangle]
pub extern "C" fn pg_wasm_abi_v1() {}

#[path = "../../../sdk/rust/guest_alloc.rs"]
mod guest_alloc;

#[link(wasm_import_module = "pg_wasm")]
extern "C" {
    #[link_name = "log"]
    fn pg_wasm_log(level: i32, ptr: *const u8, len: i32);
}

// The host reads a result before it calls the module again, so the last
// one can live here until then.
static mut OUTPUT: Vec<u8> = Vec::new();

fn result(bytes: Vec<u8>) -> i64 {
    unsafe {
        OUTPUT = bytes;
        ((OUTPUT.len() as i64) << 32) | OUTPUT.as_ptr() as usize as i64
    }
}

// A text argument: valid UTF-8 (the host converts it from the database
// encoding), at a pointer into this memory.
fn text<'a>(ptr: i32, len: i32) -> &'a str {
    if len <= 0 {
        return "";
    }
    let bytes = unsafe { std::slice::from_raw_parts(ptr as usize as *const u8, len as usize) };
    unsafe { std::str::from_utf8_unchecked(bytes) }
}

/// Upper-cases the first letter of each word and lower-cases the rest, by
/// Unicode's rules ("ßa" -> "SSa" is Rust's char::to_uppercase).
#[no_mangle]
pub extern "C" fn title_case(ptr: i32, len: i32) -> i64 {
    let mut out = String::new();
    let mut start = true;
    for c in text(ptr, len).chars() {
        if c.is_alphanumeric() {
            if start {
                out.extend(c.to_uppercase());
            } else {
                out.extend(c.to_lowercase());
            }
            start = false;
        } else {
            out.push(c);
            start = true;
        }
    }
    result(out.into_bytes())
}

/// Characters, not bytes.
#[no_mangle]
pub extern "C" fn char_count(ptr: i32, len: i32) -> i32 {
    text(ptr, len).chars().count() as i32
}

/// Logs through pg_wasm's host API (level 3: NOTICE) and through WASI's
/// stdout (a LOG line), and returns the text's words in reverse order.
#[no_mangle]
pub extern "C" fn reverse_words(ptr: i32, len: i32) -> i64 {
    let s = text(ptr, len);
    let words: Vec<&str> = s.split_whitespace().rev().collect();
    let note = format!("reversing {} words", words.len());
    unsafe { pg_wasm_log(3, note.as_ptr(), note.len() as i32) };
    println!("rust stdout: {}", words.join(" "));
    result(words.join(" ").into_bytes())
}

/// Integer division that panics on a zero divisor: the panic message goes to
/// stderr, then the module aborts (a trap).
#[no_mangle]
pub extern "C" fn divide(a: i32, b: i32) -> i32 {
    if b == 0 {
        panic!("divide({}, 0): the divisor is zero", a);
    }
    a / b
}
