// Version 2 of versioned.c: the same exports, other results and layout.
#define VERSION 2
#include "versioned.c"
