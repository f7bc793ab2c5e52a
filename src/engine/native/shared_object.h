// A module's shared object, opened with dlopen, and its glue's entry point.
#pragma once

#include <dlfcn.h>

#include <string>

#include "engine/native/glue_layout.h"

namespace pgwasm::engine::native {

class SharedObject {
 public:
  explicit SharedObject(const std::string &path) {
    handle_ = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle_) return;
    entry_ = static_cast<const GlueEntry *>(dlsym(handle_, "pgw_native_module_v1"));
  }
  ~SharedObject() {
    if (handle_) dlclose(handle_);
  }
  SharedObject(const SharedObject &) = delete;
  SharedObject &operator=(const SharedObject &) = delete;
  const GlueEntry *entry() const { return entry_; }
  std::string error() const {
    const char *e = dlerror();
    return e ? e : "no entry point";
  }

 private:
  void *handle_ = nullptr;
  const GlueEntry *entry_ = nullptr;
};

}  // namespace pgwasm::engine::native
