#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstring>
#include <filesystem>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/engine.h"
#include "pg/catalog.h"
#include "pg/engines.h"
#include "pg/guard.h"
#include "pg/native_builds.h"

#include "pg/component_code.h"

extern "C" {
#include "access/xact.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/fd.h"
#include "storage/ipc.h"
#include "tcop/tcopprot.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
}

namespace pgwasm::pg {

namespace {

// What a worker is asked to build (bgw_extra, at most BGW_EXTRALEN bytes).
struct BuildRequest {
  Oid database;
  char sha256[65];
  bool metered;
};
static_assert(sizeof(BuildRequest) <= BGW_EXTRALEN);

// What this transaction did to code and its builds, by subtransaction: a
// subtransaction's share is dropped when it aborts (and, for code it
// loaded, its builds removed), and passed to its parent when it commits.
struct PendingChange {
  enum class Kind : uint8_t {
    Dropped,     // no module has the code any more: its builds go at commit
    Introduced,  // a load brought code no module had: its builds go at abort
    Requested,   // a background build asked for before the code committed
    RequestedMetered,
  };
  Kind kind;
  SubTransactionId subxact;
  std::string sha256;
};
std::vector<PendingChange> g_pending;

// $PGDATA/pg_wasm_native/<database OID>, as a path only: for callbacks,
// which may not fail.
std::string cache_path() {
  return std::string(DataDir) + "/pg_wasm_native/" + std::to_string(MyDatabaseId);
}

// Where workers claim a build: one worker per module and metering works on
// it; others asked for the same leave at once (the engine's own lock would
// only make them wait, and then find it built).
std::string claim_path(std::string_view sha256, bool metered) {
  return cache_path() + "/" + engine::native_build_dir_name(sha256) + (metered ? "-metered" : "") +
         ".claim";
}

// Never fails: errors of the file system are ignored.
void remove_builds(std::string_view sha256) noexcept {
  try {
    engine::remove_native_builds(cache_path(), sha256);
    for (bool metered : {false, true}) unlink(claim_path(sha256, metered).c_str());
  } catch (...) {
  }
}

// pg_wasm 0.3.0 kept every database's builds in one directory, named by a
// full sha256: nothing uses them now.
void remove_shared_builds_of_0_3() {
  std::string top = std::string(DataDir) + "/pg_wasm_native";
  std::error_code ec;
  for (const auto &e : std::filesystem::directory_iterator(top, ec)) {
    std::string name = e.path().filename().string();
    if (name.size() == 67 && name.ends_with(".so") &&
        name.find_first_not_of("0123456789abcdef") == 64) {
      std::error_code ignored;
      std::filesystem::remove(e.path(), ignored);
    }
  }
}

// Held until the worker exits (flock dies with its process).
bool claim(std::string_view sha256, bool metered) {
  int fd = open(claim_path(sha256, metered).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  if (flock(fd, LOCK_EX | LOCK_NB) == 0) return true;
  close(fd);
  return false;
}
bool register_worker(const std::string &sha256, bool metered);

void on_xact(XactEvent event, void *) {
  bool commit = event == XACT_EVENT_COMMIT || event == XACT_EVENT_PARALLEL_COMMIT;
  bool abort = event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT;
  if (!commit && !abort) return;
  std::vector<PendingChange> pending = std::move(g_pending);
  g_pending.clear();
  // After the commit or in the abort: nothing here may fail.
  for (const auto &c : pending) {
    using Kind = PendingChange::Kind;
    if (commit && c.kind == Kind::Dropped) remove_builds(c.sha256);
    if (abort && c.kind == Kind::Introduced) remove_builds(c.sha256);
    if (commit && (c.kind == Kind::Requested || c.kind == Kind::RequestedMetered)) {
      try {
        register_worker(c.sha256, c.kind == Kind::RequestedMetered);
      } catch (...) {
        // The module runs on V8; its calls ask again.
      }
    }
  }
}

void on_subxact(SubXactEvent event, SubTransactionId subxact, SubTransactionId parent, void *) {
  if (event == SUBXACT_EVENT_COMMIT_SUB) {
    for (auto &c : g_pending)
      if (c.subxact == subxact) c.subxact = parent;
  } else if (event == SUBXACT_EVENT_ABORT_SUB) {
    std::erase_if(g_pending, [&](const PendingChange &c) {
      if (c.subxact != subxact) return false;
      if (c.kind == PendingChange::Kind::Introduced) remove_builds(c.sha256);
      return true;
    });
  }
}

void note(PendingChange::Kind kind, std::string_view sha256) {
  static bool registered = false;
  if (!registered) {
    pg_guard([] {
      RegisterXactCallback(on_xact, nullptr);
      RegisterSubXactCallback(on_subxact, nullptr);
    });
    registered = true;
  }
  SubTransactionId subxact = pg_guard([] { return GetCurrentSubTransactionId(); });
  g_pending.push_back({kind, subxact, std::string(sha256)});
}

// Whether this transaction loaded the code and has not committed yet.
bool introduced_here(std::string_view sha256) {
  return std::any_of(g_pending.begin(), g_pending.end(), [&](const PendingChange &c) {
    return c.kind == PendingChange::Kind::Introduced && c.sha256 == sha256;
  });
}

// The worker's work, between PostgreSQL's calls: reads the code, builds it,
// and removes the build again if the module went away meanwhile (its
// dropper's removal may have run before the build was placed).
void build_in_worker(const BuildRequest &req) {
  std::string sha(req.sha256, strnlen(req.sha256, sizeof req.sha256));
  auto in_transaction = [](auto &&fn) {
    pg_guard([] {
      SetCurrentStatementStartTimestamp();
      StartTransactionCommand();
      PushActiveSnapshot(GetTransactionSnapshot());
    });
    fn();
    pg_guard([] {
      PopActiveSnapshot();
      CommitTransactionCommand();
    });
  };
  std::optional<std::vector<uint8_t>> code;
  std::vector<std::string> code_in_use;
  in_transaction([&] {
    code = catalog::module_code_by_sha256(sha);
    code_in_use = catalog::module_sha256s();
  });
  // Builds a process left when it died between a build and its removal (a
  // load that never committed, a drop): gone once an hour has passed.
  engine::remove_unused_native_builds(cache_path(), code_in_use, std::chrono::hours(1));
  if (!code) {
    remove_builds(sha);
    return;
  }
  if (!claim(sha, req.metered)) return;
  remove_shared_builds_of_0_3();
  // The code is in use as of now: a removal marked before (of an earlier
  // module with this code) no longer holds; one marked from now on stops
  // the build.
  engine::keep_native_builds(cache_path(), sha);
  engine::CompileOptions options{.fuel = req.metered,
                                 .limit_memory = true,
                                 .build = false,
                                 .cache_name = sha,
                                 .stop_when_removed = true};
  engine::Engine &native = backend_engine(EngineKind::Native);
  std::span<const uint8_t> core;  // a component's main core module
  try {
    core = core_module_of(*code);
  } catch (const component::ComponentError &) {
    return;  // refused when loaded: not built
  }
  try {
    native.compile(core, options);
    return;  // built already
  } catch (const engine::NotBuilt &) {
  }
  std::string activity = "building module " + sha + (req.metered ? " (metered)" : "");
  pg_guard([&] { pgstat_report_activity(STATE_RUNNING, activity.c_str()); });
  auto start = std::chrono::steady_clock::now();
  std::string failure;
  try {
    options.build = true;
    native.compile(core, options);
  } catch (const engine::CompileError &e) {
    // Recorded beside the build: sessions keep the module on V8.
    failure = e.what();
  } catch (const engine::Interrupted &) {
    pg_guard([] { CHECK_FOR_INTERRUPTS(); });  // shutdown, pg_terminate_backend
    // Else no module has the code any more: its build stopped there.
    pg_guard([&] {
      ereport(LOG, (errmsg("wasm: the native build of module %s stopped: it was dropped or "
                           "replaced",
                           sha.c_str())));
    });
    remove_builds(sha);
    return;
  }
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                  start)
                .count();
  pg_guard([&] {
    if (failure.empty())
      ereport(LOG, (errmsg("wasm: built module %s natively%s in %ld ms", sha.c_str(),
                           req.metered ? " (metered)" : "", static_cast<long>(ms))));
    else
      ereport(LOG, (errmsg("wasm: module %s cannot be built natively; it runs on V8", sha.c_str()),
                    errdetail("%s", failure.c_str())));
  });
  bool in_use = true;
  in_transaction([&] { in_use = catalog::module_sha256_in_use(sha); });
  if (!in_use) remove_builds(sha);
}

}  // namespace

namespace {

bool register_worker(const std::string &sha256, bool metered) {
  BuildRequest req{};
  req.database = MyDatabaseId;
  std::memcpy(req.sha256, sha256.data(), std::min(sha256.size(), sizeof req.sha256 - 1));
  req.metered = metered;
  return pg_guard([&] {
    BackgroundWorker worker;
    std::memset(&worker, 0, sizeof worker);
    worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
    // A hot standby builds its own.
    worker.bgw_start_time = BgWorkerStart_ConsistentState;
    worker.bgw_restart_time = BGW_NEVER_RESTART;
    snprintf(worker.bgw_library_name, BGW_MAXLEN, "pg_wasm");
    snprintf(worker.bgw_function_name, BGW_MAXLEN, "pg_wasm_native_builder_main");
    snprintf(worker.bgw_name, BGW_MAXLEN, "pg_wasm native build of %.12s", req.sha256);
    snprintf(worker.bgw_type, BGW_MAXLEN, "pg_wasm native build");
    std::memcpy(worker.bgw_extra, &req, sizeof req);
    worker.bgw_notify_pid = 0;
    if (RegisterDynamicBackgroundWorker(&worker, nullptr)) return true;
    ereport(LOG, (errmsg("wasm: no background worker is free to build module %.12s natively; "
                         "it runs on V8 for now",
                         req.sha256),
                  errhint("Raise max_worker_processes.")));
    return false;
  });
}

}  // namespace

bool request_native_build(std::string_view sha256, bool metered) {
  if (native_max_builds_guc == 0) return false;
  // Code this transaction loaded is there for a worker once it commits.
  if (introduced_here(sha256)) {
    note(metered ? PendingChange::Kind::RequestedMetered : PendingChange::Kind::Requested, sha256);
    return true;
  }
  // A session asks once in a while: loading a module and calling it at once
  // would otherwise start two workers.
  static std::unordered_map<std::string, TimestampTz> asked;
  constexpr TimestampTz kAskAgainAfterUs = 10'000'000;
  TimestampTz now = GetCurrentTimestamp();
  auto [it, first] = asked.try_emplace(std::string(sha256) + (metered ? "+fuel" : ""), now);
  if (!first && now - it->second < kAskAgainAfterUs) return true;
  it->second = now;
  return register_worker(std::string(sha256), metered);
}

void remove_native_builds_at_commit(std::string_view sha256) {
  note(PendingChange::Kind::Dropped, sha256);
}

void note_code_loaded(std::string_view sha256) {
  // Builds of it made from now on stay (an earlier drop of the same code
  // marked them removed), unless this (sub)transaction aborts.
  engine::keep_native_builds(native_cache_dir(), sha256);
  note(PendingChange::Kind::Introduced, sha256);
}

}  // namespace pgwasm::pg

extern "C" void pg_wasm_native_builder_main(Datum) {
  using namespace pgwasm::pg;
  BuildRequest req;
  std::memcpy(&req, MyBgworkerEntry->bgw_extra, sizeof req);
  // SIGTERM (shutdown, pg_terminate_backend) stops the build: the engine
  // polls ProcDiePending and kills the compiler.
  pqsignal(SIGTERM, die);
  BackgroundWorkerUnblockSignals();
  // As the bootstrap superuser: it reads wasm.modules and nothing else.
  BackgroundWorkerInitializeConnectionByOid(req.database, InvalidOid, 0);
  cpp_entry([&] { build_in_worker(req); });
  proc_exit(0);
}
