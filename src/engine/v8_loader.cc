// make_v8_engine, for pg_wasm.so: V8 lives in pg_wasm_v8.so beside the
// library holding this file, loaded at the first call that needs it, so
// that a backend that only runs native code never maps libnode (47 MB,
// about 30 ms to load). Programs that link the V8 engine itself (tests,
// tools) do not use this file.
#include <dlfcn.h>

#include <string>

#include "engine/engine.h"
#include "engine/v8_factory.h"

namespace pgwasm::engine {

namespace {

// pg_wasm_v8.so in the directory of the object this function is in
// (PostgreSQL's pkglibdir, wherever the installation was moved).
std::string v8_library_path() {
  Dl_info self{};
  if (dladdr(reinterpret_cast<const void *>(&v8_library_path), &self) == 0 || !self.dli_fname)
    throw EngineError("cannot find the V8 engine: the loader's own library is unknown");
  std::string path = self.dli_fname;
  auto slash = path.rfind('/');
  path = (slash == std::string::npos ? std::string(".") : path.substr(0, slash)) + "/" +
         kV8LibraryName;
  return path;
}

pgwasm_v8_factory *load_factory() {
  std::string path = v8_library_path();
  // RTLD_LOCAL: libnode's and the library's symbols serve that library only.
  // Never closed: V8's threads run as long as the process.
  void *handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle)
    throw EngineError("cannot load the V8 engine \"" + path + "\": " + std::string(dlerror()));
  void *symbol = dlsym(handle, kV8FactorySymbol);
  if (!symbol) {
    const char *why = dlerror();
    std::string message = "cannot load the V8 engine \"" + path +
                          "\": " + (why ? why : std::string(kV8FactorySymbol) + " is missing");
    dlclose(handle);
    throw EngineError(message);
  }
  return reinterpret_cast<pgwasm_v8_factory *>(symbol);
}

// Loaded once per process, or once for all in a process that forks them
// (preload_v8_library).
pgwasm_v8_factory *loaded_factory = nullptr;

}  // namespace

void preload_v8_library() {
  if (!loaded_factory) loaded_factory = load_factory();
}

std::unique_ptr<Engine> make_v8_engine(const EngineConfig &config) {
  // A failed load is tried again at the next call.
  if (!loaded_factory) loaded_factory = load_factory();
  return std::unique_ptr<Engine>(loaded_factory(PGWASM_ENGINE_INTERFACE_ID, config));
}

}  // namespace pgwasm::engine
