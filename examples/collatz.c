// Collatz step counts: how many steps n takes to reach 1.
//   clang --target=wasm32 -nostdlib -O2 -Wl,--no-entry -o collatz.wasm collatz.c
//   CREATE FUNCTION collatz_steps(int4) RETURNS int4 LANGUAGE wasm AS 'collatz::steps';
//
// clang hides symbols by default on wasm32: export_name is what makes a
// function an export of the module.

__attribute__((export_name("steps"))) int steps(int n) {
  if (n < 1) return -1;
  long long x = n;  // the sequence overflows int for some n below 10^6
  int count = 0;
  while (x != 1) {
    x = (x & 1) ? 3 * x + 1 : x / 2;
    count++;
  }
  return count;
}
