//! A WASI command in Rust that exits with code 3 after some output.
fn main() {
    print!("about to exit");
    std::process::exit(3);
}
