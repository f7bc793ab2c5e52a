// A WASI command for the tests: a whole program with main, exported as
// _start, called as a SQL function returning void. Built with
//   clang --target=wasm32-wasi -O2
#include <stdio.h>
#include <stdlib.h>

extern char **environ;

int main(int argc, char **argv) {
  (void)argv;
  printf("hello from main: %d arguments, environment %s\n", argc,
         environ && environ[0] ? "not empty" : "empty");
  fprintf(stderr, "a line to stderr\n");
  printf("a last line without newline");
  return 0;
}
