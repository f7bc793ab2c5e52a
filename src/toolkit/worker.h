// Toolkit work on a thread of its own: enough stack, and a caller that can
// stop waiting.
//
// wabt's text parser, its IR and its binary writer recurse once per nested
// block; at limits::kNestingDepth they need several megabytes of stack, more
// than a host thread (a PostgreSQL backend) can spare. Such work runs on a
// thread with a stack sized for it. The caller waits, polling the interrupt
// check set for the process; when it says so, the caller stops waiting and
// throws Interrupted, and the work finishes on its own, on data it owns
// (the closure must own everything it uses: capture copies, never
// references to the caller's data).
#pragma once

#include <chrono>
#include <condition_variable>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <type_traits>

#include "toolkit/errors.h"

namespace pgwasm::toolkit {

// A predicate the waiting caller polls (every few milliseconds); it may only
// read memory. Set once per process, by the host; null: never interrupted.
void set_interrupt_check(bool (*check)());
bool interrupt_requested();

namespace detail {
// Set by the job when it has finished; the caller waits on it.
class Completion {
 public:
  void finish();
  // Waits up to `timeout`; true once finished.
  bool wait_for(std::chrono::microseconds timeout);

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool finished_ = false;
};

// Runs `job` on a new thread with a large stack and all signals blocked
// (the job must call done->finish() last); waits until it has finished, or
// throws Interrupted.
void run_detachable(std::function<void()> job, const std::shared_ptr<Completion> &done);
}  // namespace detail

// Runs fn() on a worker thread and returns its result or rethrows what it
// threw.
template <typename Fn>
auto on_worker(Fn fn) -> std::invoke_result_t<Fn>;

// Inputs this small are worked on in the caller's thread: milliseconds of
// work, within any thread's stack once limits.h holds (a thread costs more
// than the work).
inline constexpr size_t kInlineWorkBytes = size_t{1} << 20;

// fn() on a worker thread if `big`, else here.
template <typename Fn>
auto on_worker_if(bool big, Fn fn) -> std::invoke_result_t<Fn> {
  if (!big) return fn();
  return on_worker(std::move(fn));
}

template <typename Fn>
auto on_worker(Fn fn) -> std::invoke_result_t<Fn> {
  using R = std::invoke_result_t<Fn>;
  struct State : detail::Completion {
    std::exception_ptr error;
    std::conditional_t<std::is_void_v<R>, bool, std::optional<R>> result{};
  };
  auto state = std::make_shared<State>();
  detail::run_detachable(
      [state, fn = std::move(fn)]() mutable {
        try {
          if constexpr (std::is_void_v<R>)
            fn();
          else
            state->result.emplace(fn());
        } catch (...) {
          state->error = std::current_exception();
        }
        state->finish();
      },
      state);
  if (state->error) std::rethrow_exception(state->error);
  if constexpr (!std::is_void_v<R>) return std::move(*state->result);
}

}  // namespace pgwasm::toolkit
