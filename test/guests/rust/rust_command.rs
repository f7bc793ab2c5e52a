//! A WASI command in Rust (main, exported as _start), built with Debian's
//! rustc for wasm32-wasi: what Rust's std does inside pg_wasm.
use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

fn main() {
    println!("hello from Rust");
    eprintln!("Rust's stderr");
    // Clocks: realtime and monotonic, and a sleep (poll_oneoff).
    let since_epoch = SystemTime::now().duration_since(UNIX_EPOCH).expect("a clock before 1970");
    let started = Instant::now();
    std::thread::sleep(Duration::from_millis(20));
    let slept = started.elapsed() >= Duration::from_millis(20);
    println!("clock after 2020: {}, slept 20 ms: {}", since_epoch.as_secs() > 1_577_836_800, slept);
    // Nothing of the server leaks in.
    let (args, vars) = (std::env::args().count(), std::env::vars().count());
    println!("arguments: {}, environment variables: {}", args, vars);
    // No file system: an error to handle, not a trap.
    match std::fs::read("/etc/passwd") {
        Ok(_) => println!("read /etc/passwd!"),
        Err(_) => println!("no file system"),
    }
    // HashMap's RandomState seeds itself from random_get.
    let mut words = HashMap::new();
    for w in "the quick brown fox jumps over the lazy dog the end".split(' ') {
        *words.entry(w).or_insert(0) += 1;
    }
    println!("\"the\" appears {} times", words["the"]);
    std::process::exit(if slept { 0 } else { 4 });
}
