#include "pg/native_switch.h"

#include <unistd.h>

#include "pg/guard.h"
#include "pg/native_builds.h"

extern "C" {
#include "access/xact.h"
#include "tcop/tcopprot.h"
#include "utils/timestamp.h"
}

namespace pgwasm::pg {

namespace {

// How often a session waiting for a build looks for its file; how often it
// asks the build's state (finding a failed build); and when it asks for a
// worker again (one that could not start, or was stopped), a few times.
constexpr int64_t kLookEveryUs = 100'000;
constexpr int64_t kAskAgainAfterUs = 1'000'000;
constexpr int64_t kRequestAgainAfterUs = 10'000'000;
constexpr int kMostRequests = 3;

void log_stays_on_v8(const std::string &module, const std::string &why) {
  pg_guard([&] {
    ereport(LOG, (errmsg("wasm module \"%s\" runs on V8: it has no native build", module.c_str()),
                  errdetail("%s", why.c_str())));
  });
}

}  // namespace

EngineKind NativeSwitch::engine_for_call(bool built, bool calling, bool &switched_now) {
  switched_now = false;
  if (switched_) return EngineKind::Native;
  int64_t statement = GetCurrentStatementStartTimestamp();
  auto on_v8 = [&] {
    if (calling) v8_statement_ = statement;
    return EngineKind::V8;
  };
  if (!built) return on_v8();
  if (!calling) return EngineKind::Native;
  if (v8_statement_ == statement) return on_v8();
  switched_now = switched_ = true;
  return EngineKind::Native;
}

bool NativeSwitch::worth_loading(const std::string &module, const std::string &sha256,
                                 bool metered) {
  if (state_ == State::Failed) return false;
  int64_t now = GetCurrentTimestamp();
  if (state_ == State::Waiting) {
    if (now < next_look_) return false;
    next_look_ = now + kLookEveryUs;
    // Until the file is there, its state is asked from the files beside it
    // (a stat and a lock test, no compile), once in a while.
    if (access(artifact_.c_str(), F_OK) != 0) {
      if (now - asked_at_ >= kAskAgainAfterUs) {
        std::string failure;
        note_not_built(module, sha256, metered, engine::native_build_state(artifact_, failure),
                       failure, now);
      }
      return false;
    }
  }
  if (!native_engine_if_available()) {
    state_ = State::Failed;
    return false;
  }
  return true;
}

void NativeSwitch::not_built(const std::string &module, const std::string &sha256, bool metered,
                             const engine::NotBuilt &e) {
  int64_t now = GetCurrentTimestamp();
  artifact_ = e.artifact;
  next_look_ = now + kLookEveryUs;
  note_not_built(module, sha256, metered, e.state, e.failure, now);
}

void NativeSwitch::note_not_built(const std::string &module, const std::string &sha256,
                                  bool metered, engine::NotBuilt::State state,
                                  const std::string &failure, int64_t now) {
  asked_at_ = now;
  state_ = State::Waiting;
  if (state == engine::NotBuilt::State::Failed) {
    state_ = State::Failed;
    log_stays_on_v8(module, failure);
    return;
  }
  if (state == engine::NotBuilt::State::Missing &&
      (requests_ == 0 || now - requested_at_ >= kRequestAgainAfterUs)) {
    if (requests_ == kMostRequests) {
      state_ = State::Failed;
      log_stays_on_v8(module, "The background workers asked to build it did not.");
      return;
    }
    requests_++;
    requested_at_ = now;
    request_native_build(sha256, metered);
  }
}

}  // namespace pgwasm::pg
