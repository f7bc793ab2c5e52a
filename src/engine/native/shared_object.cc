// Loading a module's shared object: only once it and the runtime it links
// are whole and pass the inspection (object_check.h).
#include "engine/native/shared_object.h"

#include <dlfcn.h>
#include <sys/stat.h>
#include <unistd.h>

#include <span>

#include "engine/native/artifact_cache.h"
#include "engine/native/c_glue.h"
#include "engine/native/native_engine.h"
#include "engine/native/object_check.h"

namespace pgwasm::engine::native {

namespace {

std::span<const uint8_t> as_bytes(const std::string &s) {
  return {reinterpret_cast<const uint8_t *>(s.data()), s.size()};
}

}  // namespace

bool NativeEngine::usable(const std::string &path) const {
  auto contents = native::sealed_contents(path);
  return contents && !native::object_refusal(as_bytes(*contents), object_rules_);
}

std::unique_ptr<SharedObject> NativeEngine::load(const std::string &path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return nullptr;
  // The runtime it links, then the object itself: damaged or cut short,
  // dlopen could map them and fault later. Both are built again.
  if (!native::intact(runtime_path_)) {
    unlink(runtime_path_.c_str());
    return nullptr;
  }
  if (!usable(path)) {
    unlink(path.c_str());
    return nullptr;
  }
  auto object = std::make_unique<SharedObject>(path);
  if (object->entry() && object->entry()->abi == native::kGlueAbi) {
    // The runtime stays loaded for as long as the engine lives, not only
    // while some module's object does: unloaded with the last of them, it
    // would lose the function types instances registered (allocated, never
    // freed) and register them again, so that every unload leaked them.
    if (!runtime_) runtime_ = dlopen(runtime_path_.c_str(), RTLD_NOW | RTLD_LOCAL);
    return object;
  }
  // Corrupt, truncated or of another glue: built again.
  unlink(path.c_str());
  return nullptr;
}

}  // namespace pgwasm::engine::native
