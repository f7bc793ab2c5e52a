// C++ objects whose life is a PostgreSQL memory context's: a function's
// call plan, a foreign scan's plan or a query's state, freed when the
// context is reset or deleted, which happens on error too (then no C++
// frame is left to free it).
#pragma once

#include <memory>

#include "pg/guard.h"

namespace pgwasm::pg {

template <typename T>
T *own_in_context(MemoryContext context, std::unique_ptr<T> object) {
  struct Holder {
    MemoryContextCallback callback;
    T *object;
  };
  auto *holder = pg_guard(
      [&] { return static_cast<Holder *>(MemoryContextAllocZero(context, sizeof(Holder))); });
  holder->object = object.release();
  holder->callback.func = [](void *arg) {
    auto *h = static_cast<Holder *>(arg);
    delete h->object;  // destructors here touch no PostgreSQL state
    h->object = nullptr;
  };
  holder->callback.arg = holder;
  MemoryContextRegisterResetCallback(context, &holder->callback);
  return holder->object;
}

}  // namespace pgwasm::pg
