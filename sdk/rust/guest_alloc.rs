//! guest_alloc.rs: the exports pg_wasm_alloc and pg_wasm_free over Rust's
//! allocator, which every pg_wasm ABI asks of a guest (docs/abi.md,
//! docs/fdw.md). Included as a module by pg_wasm_fdw.rs, or by a guest:
//!
//!   #[path = "<repo>/sdk/rust/guest_alloc.rs"]
//!   mod guest_alloc;
use std::alloc::{alloc, dealloc, Layout};

// Each allocation starts with its size, so that pg_wasm_free can give it
// back to Rust's allocator.
const HEADER: usize = 8;

#[no_mangle]
pub extern "C" fn pg_wasm_alloc(size: i32) -> i32 {
    let total = match usize::try_from(size) {
        Ok(n) => n + HEADER,
        Err(_) => return 0,
    };
    let layout = match Layout::from_size_align(total, HEADER) {
        Ok(l) => l,
        Err(_) => return 0,
    };
    unsafe {
        let p = alloc(layout);
        if p.is_null() {
            return 0;
        }
        (p as *mut usize).write(total);
        p.add(HEADER) as usize as i32
    }
}

#[no_mangle]
pub extern "C" fn pg_wasm_free(ptr: i32) {
    if ptr == 0 {
        return;
    }
    unsafe {
        let p = (ptr as usize as *mut u8).sub(HEADER);
        let total = (p as *mut usize).read();
        dealloc(p, Layout::from_size_align_unchecked(total, HEADER));
    }
}
