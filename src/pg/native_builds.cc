#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/engine.h"
#include "pg/backend.h"
#include "pg/catalog.h"
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

std::vector<std::string> g_removals;  // at commit

// Where workers claim a build: one worker per module and metering works on
// it; others asked for the same leave at once (the engine's own lock would
// only make them wait, and then find it built).
std::string claim_path(std::string_view sha256, bool metered) {
  return native_cache_dir() + "/" + engine::native_build_dir_name(sha256) +
         (metered ? "-metered" : "") + ".claim";
}

void remove_builds(std::string_view sha256) {
  engine::remove_native_builds(native_cache_dir(), sha256);
  for (bool metered : {false, true}) unlink(claim_path(sha256, metered).c_str());
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
bool g_xact_callback_registered = false;

void on_xact(XactEvent event, void *) {
  if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_PARALLEL_COMMIT) {
    // After the commit: nothing here may fail (removal ignores errors).
    for (const auto &sha : g_removals) remove_builds(sha);
    g_removals.clear();
  } else if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT) {
    g_removals.clear();
  }
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
  in_transaction([&] { code = catalog::module_code_by_sha256(sha); });
  if (!code) {
    remove_builds(sha);
    return;
  }
  if (!claim(sha, req.metered)) return;
  remove_shared_builds_of_0_3();
  engine::CompileOptions options{
      .fuel = req.metered, .limit_memory = true, .build = false, .cache_name = sha};
  engine::Engine &native = backend_engine(EngineKind::Native);
  std::span<const uint8_t> core;  // a component's main core module
  try {
    core = core_module_of(*code);
  } catch (const toolkit::component::ComponentError &) {
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

std::string native_cache_dir() {
  std::string top = std::string(DataDir) + "/pg_wasm_native";
  std::string dir = top + "/" + std::to_string(MyDatabaseId);
  pg_guard([&] {
    for (const std::string *d : {&top, &dir})
      if (MakePGDirectory(d->c_str()) != 0 && errno != EEXIST)
        ereport(ERROR, (errcode_for_file_access(),
                        errmsg("could not create directory \"%s\": %m", d->c_str())));
  });
  return dir;
}

bool request_native_build(std::string_view sha256, bool metered) {
  // A session asks once in a while: loading a module and calling it at once
  // would otherwise start two workers.
  static std::unordered_map<std::string, TimestampTz> asked;
  constexpr TimestampTz kAskAgainAfterUs = 10'000'000;
  TimestampTz now = GetCurrentTimestamp();
  auto [it, first] = asked.try_emplace(std::string(sha256) + (metered ? "+fuel" : ""), now);
  if (!first && now - it->second < kAskAgainAfterUs) return true;
  it->second = now;
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

void remove_native_builds_at_commit(std::string_view sha256) {
  if (!g_xact_callback_registered) {
    pg_guard([] { RegisterXactCallback(on_xact, nullptr); });
    g_xact_callback_registered = true;
  }
  g_removals.emplace_back(sha256);
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
