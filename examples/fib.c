// Iterative Fibonacci, the seeds' benchmark (wasmer-postgres, openGauss-wasm).
// The result wraps around modulo 2^64, as the seeds' version does.
__attribute__((export_name("fib"))) long long fib(int n) {
  unsigned long long a = 0, b = 1;
  for (int i = 0; i < n; i++) {
    unsigned long long t = a + b;
    a = b;
    b = t;
  }
  return (long long)a;
}
