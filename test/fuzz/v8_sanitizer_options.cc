// Sanitizer defaults of the fuzz targets that run V8, built into them so that
// a crashing input reproduces with the program alone.
//
// LeakSanitizer finds memory through the stacks, globals and malloc'd blocks
// that reach it, but V8 keeps its objects in its own mmap'd heap, which it
// does not scan: whatever those objects own (a compiled module's code and
// metadata, backing stores) would be reported as leaked, on every input. The
// text target, which never starts V8, keeps leak detection.
extern "C" const char *__asan_default_options() {
  return "detect_leaks=0";
}
