// A per-engine thread that stops guest code from outside.
//
// Guest code never returns to the host on its own, so a host's cancel flags
// go unseen while it runs. While a call is in flight the watchdog polls a
// predicate every few milliseconds and, when it says so, asks the engine for
// an interrupt. The engine runs its interrupt hook on the calling thread, at
// a safe point of the guest, and asks should_terminate() whether the call
// that was meant is still the one running: all decisions are made on the
// calling thread, so the calling thread needs no locks or fences, only two
// plain stores per call.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>

namespace pgwasm::engine {

class Watchdog {
 public:
  // `request_interrupt` must make the engine call its interrupt hook soon on
  // the calling thread; it is called from the watchdog thread.
  Watchdog(bool (*should_stop)(), std::function<void()> request_interrupt);
  ~Watchdog();
  Watchdog(const Watchdog &) = delete;
  Watchdog &operator=(const Watchdog &) = delete;

  // Bracket guest calls (nested calls count once). Calling thread only.
  void call_started() {
    if (depth_++ > 0) return;
    call_seq_.store(call_seq_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    if (!awake_.load(std::memory_order_relaxed)) wake();
  }
  void call_finished() {
    if (--depth_ > 0) return;
    call_seq_.store(call_seq_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }

  // From the engine's interrupt hook, on the calling thread: true when the
  // interrupt was requested for the call that is running now.
  bool should_terminate() const {
    uint64_t seq = call_seq_.load(std::memory_order_relaxed);
    return (seq & 1) && seq == requested_seq_.load(std::memory_order_relaxed);
  }

  static constexpr std::chrono::milliseconds kPollInterval{2};
  static constexpr std::chrono::milliseconds kIdleAfter{1000};

 private:
  void wake();
  void run();

  bool (*should_stop_)();
  std::function<void()> request_interrupt_;

  uint32_t depth_ = 0;                 // calling thread only
  std::atomic<uint64_t> call_seq_{0};  // odd while a call runs
  std::atomic<uint64_t> requested_seq_{0};
  std::atomic<bool> awake_{false};
  bool shutdown_ = false;  // guarded by mutex_
  std::mutex mutex_;
  std::condition_variable cv_;
  std::thread thread_;
};

}  // namespace pgwasm::engine
