#include "toolkit/worker.h"

#include <atomic>
#include <chrono>
#include <csignal>
#include <system_error>

#include <pthread.h>

namespace pgwasm::toolkit {

namespace {

std::atomic<bool (*)()> g_interrupt_check{nullptr};

// wabt's text parser takes about 700 bytes of stack per nesting level; this
// leaves room for limits::kNestingDepth several times over. Only the pages
// touched are ever committed.
constexpr size_t kStackBytes = size_t{64} << 20;
constexpr auto kPollInterval = std::chrono::milliseconds(2);

void *thread_main(void *arg) {
  std::unique_ptr<std::function<void()>> job(static_cast<std::function<void()> *>(arg));
  (*job)();
  return nullptr;
}

}  // namespace

void set_interrupt_check(bool (*check)()) {
  g_interrupt_check.store(check);
}

bool interrupt_requested() {
  auto check = g_interrupt_check.load();
  return check && check();
}

namespace detail {

void Completion::finish() {
  std::lock_guard lock(mutex_);
  finished_ = true;
  cv_.notify_all();
}

bool Completion::wait_for(std::chrono::microseconds timeout) {
  std::unique_lock lock(mutex_);
  return cv_.wait_for(lock, timeout, [this] { return finished_; });
}

void run_detachable(std::function<void()> job, const std::shared_ptr<Completion> &done) {
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, kStackBytes);
  // The thread inherits this mask: the host's signals stay with its own
  // thread (PostgreSQL's handlers must run there).
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &old);
  auto owned = std::make_unique<std::function<void()>>(std::move(job));
  pthread_t thread;
  int rc = pthread_create(&thread, &attr, thread_main, owned.get());
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  pthread_attr_destroy(&attr);
  if (rc != 0) throw std::system_error(rc, std::generic_category(), "cannot start a thread");
  owned.release();  // the thread owns it now
  while (!done->wait_for(kPollInterval)) {
    if (interrupt_requested()) {
      // The job owns its data and its result's state: let it finish alone.
      pthread_detach(thread);
      throw Interrupted();
    }
  }
  pthread_join(thread, nullptr);
}

}  // namespace detail

}  // namespace pgwasm::toolkit
