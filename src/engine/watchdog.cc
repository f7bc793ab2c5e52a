#include "engine/watchdog.h"

#include <pthread.h>
#include <csignal>

namespace pgwasm::engine {

Watchdog::Watchdog(bool (*should_stop)(), std::function<void()> request_interrupt)
    : should_stop_(should_stop), request_interrupt_(std::move(request_interrupt)) {
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

void Watchdog::run() {
  std::unique_lock lock(mutex_);
  auto last_call = std::chrono::steady_clock::now();
  while (!shutdown_) {
    if (!awake_.load(std::memory_order_relaxed)) {
      cv_.wait(lock, [this] { return shutdown_ || awake_.load(std::memory_order_relaxed); });
      last_call = std::chrono::steady_clock::now();
      continue;
    }
    cv_.wait_for(lock, kPollInterval, [this] { return shutdown_; });
    if (shutdown_) break;
    auto now = std::chrono::steady_clock::now();
    uint64_t seq = call_seq_.load(std::memory_order_relaxed);
    if (!(seq & 1)) {
      // Idle for a while: sleep until the next call wakes us.
      if (now - last_call > kIdleAfter) awake_.store(false, std::memory_order_relaxed);
      continue;
    }
    last_call = now;
    if (seq == requested_seq_.load(std::memory_order_relaxed) || !should_stop_()) continue;
    requested_seq_.store(seq, std::memory_order_relaxed);
    request_interrupt_();
  }
}

}  // namespace pgwasm::engine
