#include "engine/watchdog.h"

#include <csignal>
#include <pthread.h>

namespace pgwasm::engine {

Watchdog::Watchdog(bool (*should_stop)(), std::function<void()> terminate,
                   std::function<void()> cancel_termination)
    : should_stop_(should_stop), terminate_(std::move(terminate)),
      cancel_termination_(std::move(cancel_termination)) {
  // The host's signal handlers must keep running on the host's own thread.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &old);
  thread_ = std::thread([this] { run(); });
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

Watchdog::~Watchdog() {
  {
    std::lock_guard lock(mutex_);
    shutdown_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void Watchdog::wake() {
  std::lock_guard lock(mutex_);
  awake_.store(true, std::memory_order_relaxed);
  cv_.notify_one();
}

// A termination request raced with the end of the call it was meant for:
// wait for the watchdog to finish issuing it, then withdraw it so that it
// cannot hit the next call.
void Watchdog::settle() {
  std::lock_guard lock(mutex_);
  cancel_termination_();
  terminating_.store(false, std::memory_order_seq_cst);
}

void Watchdog::run() {
  std::unique_lock lock(mutex_);
  auto idle_since = std::chrono::steady_clock::now();
  while (!shutdown_) {
    if (!awake_.load(std::memory_order_relaxed)) {
      cv_.wait(lock, [this] { return shutdown_ || awake_.load(std::memory_order_relaxed); });
      idle_since = std::chrono::steady_clock::now();
      continue;
    }
    cv_.wait_for(lock, kPollInterval, [this] { return shutdown_; });
    if (shutdown_) break;
    auto now = std::chrono::steady_clock::now();
    if (depth_.load(std::memory_order_relaxed) == 0) {
      if (now - idle_since > kIdleAfter) awake_.store(false, std::memory_order_relaxed);
      continue;
    }
    idle_since = now;
    if (terminating_.load(std::memory_order_relaxed) || !should_stop_()) continue;
    // Announce before looking at depth_: either the calling thread sees
    // terminating_ in call_finished() and settles (after we release the
    // mutex), or we see that no call is running and issue nothing.
    terminating_.store(true, std::memory_order_seq_cst);
    if (depth_.load(std::memory_order_seq_cst) > 0)
      terminate_();
    else
      terminating_.store(false, std::memory_order_seq_cst);
  }
}

}  // namespace pgwasm::engine
