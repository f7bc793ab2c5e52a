// A per-engine thread that stops guest code from outside.
//
// Guest code never returns to the host on its own, so a host's cancel flags
// go unseen while it runs. While a call is in flight the watchdog polls a
// predicate every few milliseconds and, when it says so, asks the engine to
// terminate. It costs the calling thread two atomic operations per call and
// goes to sleep after a while without calls.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace pgwasm::engine {

class Watchdog {
 public:
  // `terminate` stops the running guest (any thread); `cancel_termination`
  // clears a termination request that arrived too late to stop anything
  // (called on the calling thread).
  Watchdog(bool (*should_stop)(), std::function<void()> terminate,
           std::function<void()> cancel_termination);
  ~Watchdog();
  Watchdog(const Watchdog &) = delete;
  Watchdog &operator=(const Watchdog &) = delete;

  // Bracket every outermost guest call.
  void call_started() {
    if (depth_.fetch_add(1, std::memory_order_relaxed) == 0 &&
        !awake_.load(std::memory_order_relaxed))
      wake();
  }
  void call_finished() {
    // seq_cst pairs with the watchdog's store to terminating_ (see run()).
    if (depth_.fetch_sub(1, std::memory_order_seq_cst) == 1 &&
        terminating_.load(std::memory_order_seq_cst))
      settle();
  }

  static constexpr std::chrono::milliseconds kPollInterval{2};
  static constexpr std::chrono::milliseconds kIdleAfter{1000};

 private:
  void wake();
  void settle();
  void run();

  bool (*should_stop_)();
  std::function<void()> terminate_;
  std::function<void()> cancel_termination_;

  std::atomic<uint32_t> depth_{0};
  std::atomic<bool> awake_{false};
  std::atomic<bool> terminating_{false};
  bool shutdown_ = false;  // guarded by mutex_
  std::mutex mutex_;       // guards sleeping/waking and each termination
  std::condition_variable cv_;
  std::thread thread_;
};

}  // namespace pgwasm::engine
