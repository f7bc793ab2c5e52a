//! A large guest for bench/native/measure.sh: Rust's std (formatting,
//! parsing, hash and B-tree collections, sorting) instantiated for many key
//! and value types, so the module is over 1 MB of code, as real guests that
//! pull in std can be. Built with Debian's rustc for wasm32-unknown-unknown
//! (no imports). Each export run_<k>_<v>(seed) returns a checksum of the
//! text it formats, so no instantiation is dead code.
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::fmt::{Debug, Display, Write};
use std::hash::Hash;
use std::str::FromStr;

trait Gen: Sized {
    fn gen(i: u64) -> Self;
}
macro_rules! gen_num {
    ($($t:ty),*) => {$(impl Gen for $t { fn gen(i: u64) -> Self { (i.wrapping_mul(2654435761) % 97) as $t } })*};
}
gen_num!(i8, i16, i32, i64, i128, u8, u16, u32, u64, u128, usize, isize);
impl Gen for String {
    fn gen(i: u64) -> Self { format!("k{:x}", i.wrapping_mul(2654435761) % 97) }
}
impl Gen for char {
    fn gen(i: u64) -> Self { char::from(b'a' + (i % 26) as u8) }
}
impl Gen for bool {
    fn gen(i: u64) -> Self { i % 3 == 0 }
}
impl Gen for f64 {
    fn gen(i: u64) -> Self { i as f64 / 7.0 }
}

fn work<K, V>(seed: i32) -> u32
where
    K: Gen + Hash + Eq + Ord + Clone + Debug + Display + FromStr,
    V: Gen + Clone + Debug + Display + FromStr,
{
    let n = 16 + (seed as u64 % 16);
    let mut hm: HashMap<K, Vec<V>> = HashMap::new();
    let mut bm: BTreeMap<K, V> = BTreeMap::new();
    let mut hs: HashSet<K> = HashSet::new();
    let mut bs: BTreeSet<K> = BTreeSet::new();
    let mut dq: VecDeque<V> = VecDeque::new();
    for i in 0..n {
        let k = K::gen(i + seed as u64);
        let v = V::gen(i * 7);
        hm.entry(k.clone()).or_default().push(v.clone());
        bm.insert(k.clone(), v.clone());
        hs.insert(k.clone());
        bs.insert(k);
        if i % 2 == 0 { dq.push_back(v) } else { dq.push_front(v) }
    }
    let mut keys: Vec<K> = hm.keys().cloned().collect();
    keys.sort();
    keys.dedup();
    let mut out = String::new();
    for k in &keys {
        let _ = write!(out, "{}={:?};", k, hm[k]);
    }
    let _ = write!(out, "{:?}|{:?}|{}|{:?}", bm, bs, hs.len(), dq);
    let mut parsed = 0u32;
    for part in out.split(';') {
        if let Some((a, b)) = part.split_once('=') {
            if a.parse::<K>().is_ok() { parsed += 1; }
            if b.trim_matches(|c| c == '[' || c == ']').split(", ").all(|x| x.parse::<V>().is_ok()) { parsed += 1; }
        }
    }
    out.bytes().fold(parsed, |h, b| h.wrapping_mul(31).wrapping_add(b as u32))
}

macro_rules! exports {
    ($($name:ident: $k:ty, $v:ty;)*) => {$(
        #[no_mangle]
        pub extern "C" fn $name(seed: i32) -> u32 { work::<$k, $v>(seed) }
    )*};
}
macro_rules! by_value {
    ($k:ty: $($name:ident $v:ty),*) => { exports!($($name: $k, $v;)*); };
}
by_value!(i8: run_i8_i32 i32, run_i8_f64 f64, run_i8_string String, run_i8_u128 u128, run_i8_char char, run_i8_bool bool);
by_value!(i16: run_i16_i32 i32, run_i16_f64 f64, run_i16_string String, run_i16_u128 u128, run_i16_char char, run_i16_bool bool);
by_value!(i32: run_i32_i32 i32, run_i32_f64 f64, run_i32_string String, run_i32_u128 u128, run_i32_char char, run_i32_bool bool);
by_value!(i64: run_i64_i32 i32, run_i64_f64 f64, run_i64_string String, run_i64_u128 u128, run_i64_char char, run_i64_bool bool);
by_value!(i128: run_i128_i32 i32, run_i128_f64 f64, run_i128_string String, run_i128_u128 u128, run_i128_char char, run_i128_bool bool);
by_value!(u8: run_u8_i32 i32, run_u8_f64 f64, run_u8_string String, run_u8_u128 u128, run_u8_char char, run_u8_bool bool);
by_value!(u16: run_u16_i32 i32, run_u16_f64 f64, run_u16_string String, run_u16_u128 u128, run_u16_char char, run_u16_bool bool);
by_value!(u32: run_u32_i32 i32, run_u32_f64 f64, run_u32_string String, run_u32_u128 u128, run_u32_char char, run_u32_bool bool);
by_value!(u64: run_u64_i32 i32, run_u64_f64 f64, run_u64_string String, run_u64_u128 u128, run_u64_char char, run_u64_bool bool);
by_value!(u128: run_u128_i32 i32, run_u128_f64 f64, run_u128_string String, run_u128_u128 u128, run_u128_char char, run_u128_bool bool);
by_value!(String: run_string_i32 i32, run_string_f64 f64, run_string_string String, run_string_u128 u128, run_string_char char, run_string_bool bool);
by_value!(char: run_char_i32 i32, run_char_f64 f64, run_char_string String, run_char_u128 u128, run_char_char char, run_char_bool bool);
by_value!(usize: run_usize_i32 i32, run_usize_f64 f64, run_usize_string String, run_usize_u128 u128, run_usize_char char, run_usize_bool bool);
by_value!(isize: run_isize_i32 i32, run_isize_f64 f64, run_isize_string String, run_isize_u128 u128, run_isize_char char, run_isize_bool bool);
by_value!(bool: run_bool_i32 i32, run_bool_f64 f64, run_bool_string String, run_bool_u128 u128, run_bool_char char, run_bool_bool bool);
by_value!(i32: run_i32_i8 i8, run_i32_u64 u64, run_i32_i16 i16);
by_value!(u64: run_u64_i8 i8, run_u64_u64 u64, run_u64_i16 i16);
by_value!(String: run_string_i8 i8, run_string_u64 u64, run_string_i16 i16);
