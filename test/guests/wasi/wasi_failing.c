// A WASI command whose main fails: wasi-libc's _start turns the non-zero
// return into exit(2), which the host reports as an error.
#include <stdio.h>

int main(void) {
  fprintf(stderr, "giving up\n");
  return 2;
}
