// spec_runner: runs the WebAssembly core spec test suite (.wast scripts)
// against the project's engine, in process, and checks the failures against
// the expectations file.
//
//   spec_runner --suite DIR --expectations FILE [--tiering optimizing|baseline|dynamic]
//               [--instrument fuel|memory] [--engine v8|native --cache DIR [--jobs N]]
//               [--verbose] [FILE.wast...]
//
// On the native engine every module is a wasm2c and C compiler build, kept
// in the cache directory (so a second run takes seconds); before running
// the scripts, N threads (default: the processors) build the modules that
// are not there yet, each with an engine of its own.
//
// Prints a table of commands, passed and failed per file, every failure,
// and a closing line "N passed, N failed, N skipped". Exits 0 when every
// failure is listed in the expectations file and every listed entry fails.
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "engine/engine.h"
#include "spec/expectations.h"
#include "spec/runner.h"
#include "spec/spectest_host.h"
#include "spec/wast_reader.h"
#include "toolkit/text.h"

namespace fs = std::filesystem;
using namespace pgwasm;
using namespace pgwasm::spec;

namespace {

struct Options {
  fs::path suite;
  fs::path expectations;
  engine::Tiering tiering = engine::Tiering::Optimizing;
  bool verbose = false;
  engine::CompileOptions compile;  // --instrument: fuel and memory bounds
  bool native = false;             // --engine native
  fs::path cache;                  // --cache: the native engine's artifacts
  unsigned jobs = std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::string> files;  // empty: all
};

[[noreturn]] void usage(const char *why) {
  std::fprintf(stderr,
               "spec_runner: %s\nusage: spec_runner --suite DIR --expectations FILE "
               "[--tiering optimizing|baseline|dynamic] [--instrument fuel|memory] "
               "[--engine v8|native --cache DIR [--jobs N]] [--verbose] [FILE.wast...]\n",
               why);
  std::exit(2);
}

Options parse_options(int argc, char **argv) {
  Options o;
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(("missing value after " + a).c_str());
      return argv[++i];
    };
    if (a == "--suite") {
      o.suite = value();
    } else if (a == "--expectations") {
      o.expectations = value();
    } else if (a == "--tiering") {
      std::string t = value();
      if (t == "optimizing")
        o.tiering = engine::Tiering::Optimizing;
      else if (t == "baseline")
        o.tiering = engine::Tiering::Baseline;
      else if (t == "dynamic")
        o.tiering = engine::Tiering::Dynamic;
      else
        usage("unknown tiering");
    } else if (a == "--instrument") {
      std::string what = value();
      if (what == "fuel")
        o.compile = {.fuel = true, .limit_memory = true};
      else if (what == "memory")
        o.compile = {.fuel = false, .limit_memory = true};
      else
        usage("--instrument takes fuel or memory");
    } else if (a == "--engine") {
      std::string e = value();
      if (e != "v8" && e != "native") usage("--engine takes v8 or native");
      o.native = e == "native";
    } else if (a == "--cache") {
      o.cache = value();
    } else if (a == "--jobs") {
      o.jobs = static_cast<unsigned>(std::max(1, std::atoi(value().c_str())));
    } else if (a == "--verbose") {
      o.verbose = true;
    } else if (a.starts_with("--")) {
      usage(("unknown option " + a).c_str());
    } else {
      o.files.push_back(a.ends_with(".wast") ? a : a + ".wast");
    }
  }
  if (o.suite.empty() || o.expectations.empty()) usage("--suite and --expectations are required");
  if (o.native && o.cache.empty()) usage("--engine native needs --cache");
  return o;
}

std::vector<fs::path> scripts(const Options &o) {
  if (!fs::is_directory(o.suite))
    usage(("the spec test suite is not at " + o.suite.string() +
           " (set the CMake cache variable WASM_SPEC_TESTSUITE)")
              .c_str());
  std::vector<fs::path> out;
  if (o.files.empty()) {
    for (const auto &e : fs::directory_iterator(o.suite))
      if (e.path().extension() == ".wast") out.push_back(e.path());
  } else {
    for (const auto &f : o.files) {
      if (!fs::exists(o.suite / f)) usage(("no such script: " + f).c_str());
      out.push_back(o.suite / f);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Guest code may use 1 MiB of this thread's stack below main's frame (less
// if the stack is small); deeper recursion is "call stack exhausted".
void limit_guest_stack(engine::Engine &engine) {
  char here;
  size_t budget = 1 << 20;
  rlimit rl{};
  if (getrlimit(RLIMIT_STACK, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
    budget = std::min<size_t>(budget, rl.rlim_cur / 2);
  engine.set_stack_limit(reinterpret_cast<uintptr_t>(&here) - budget);
}

const char *tiering_name(engine::Tiering t) {
  switch (t) {
    case engine::Tiering::Optimizing: return "optimizing (TurboFan)";
    case engine::Tiering::Baseline: return "baseline (Liftoff)";
    case engine::Tiering::Dynamic: return "dynamic (Liftoff, then TurboFan)";
  }
  return "?";
}

std::unique_ptr<engine::Engine> make_engine(const Options &o, bool (*interrupt)()) {
  if (!o.native)
    return engine::make_v8_engine({.interrupt_requested = interrupt, .tiering = o.tiering});
  return engine::make_native_engine({.interrupt_requested = interrupt},
                                    {.cache_dir = o.cache.string(), .toolchain = {}});
}

// Builds every module the scripts define into the native engine's cache,
// `jobs` at a time: the run that follows then only loads them. A module
// that fails here fails again in the run, which reports it.
void build_modules(const Options &o, const std::vector<fs::path> &files) {
  std::vector<std::vector<uint8_t>> modules;
  std::set<std::vector<uint8_t>> seen;
  for (const auto &path : files) {
    Script script;
    try {
      script = read_wast(path);
    } catch (const std::exception &) {
      continue;
    }
    for (const auto &cmd : script.commands) {
      using K = Command::Kind;
      if (cmd.kind != K::Module && cmd.kind != K::AssertUnlinkable &&
          cmd.kind != K::AssertUninstantiable)
        continue;
      std::vector<uint8_t> bytes = cmd.module.bytes;
      if (cmd.module.form == ModuleSource::Form::Quoted) {
        try {
          bytes = toolkit::assemble_wat(cmd.module.text);
        } catch (const std::exception &) {
          continue;
        }
      }
      if (!bytes.empty() && seen.insert(bytes).second) modules.push_back(std::move(bytes));
    }
  }
  auto start = std::chrono::steady_clock::now();
  std::atomic<size_t> next{0}, failed{0};
  std::vector<std::thread> workers;
  for (unsigned j = 0; j < std::min<size_t>(o.jobs, modules.size()); j++)
    workers.emplace_back([&] {
      auto engine = make_engine(o, nullptr);
      for (size_t i; (i = next++) < modules.size();) {
        try {
          engine->compile(modules[i], o.compile);
        } catch (const std::exception &) {
          failed++;
        }
      }
    });
  for (auto &w : workers) w.join();
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("native builds: %zu distinct modules, %zu not built, %u jobs, %.1f s\n\n",
              modules.size(), failed.load(), o.jobs, seconds);
}

}  // namespace

int main(int argc, char **argv) {
  Options opts = parse_options(argc, argv);
  std::vector<fs::path> files = scripts(opts);
  Expectations expectations;
  try {
    expectations = Expectations::load(opts.expectations);
  } catch (const std::exception &e) {
    usage(e.what());
  }
  std::setvbuf(stdout, nullptr, _IOLBF, 0);

  if (opts.native) {
    try {
      fs::create_directories(opts.cache);
      build_modules(opts, files);
    } catch (const std::exception &e) {
      usage(e.what());
    }
  }
  auto engine = make_engine(opts, &Runner::past_deadline);
  limit_guest_stack(*engine);
  SpectestHost spectest(*engine, opts.verbose);
  Runner runner(*engine, spectest, opts.compile);
  std::printf("WebAssembly spec test suite: %s\nengine: %s, %s tiering%s\n\n", opts.suite.c_str(),
              engine->version().c_str(), opts.native ? "no" : tiering_name(opts.tiering),
              opts.compile.fuel           ? ", instrumented (fuel, memory bounds)"
              : opts.compile.limit_memory ? ", instrumented (memory bounds)"
                                          : "");
  std::printf("%-40s %9s %9s %9s %9s %8s\n", "file", "commands", "passed", "failed", "skipped",
              "ms");

  auto start = std::chrono::steady_clock::now();
  size_t commands = 0, passed = 0, failed = 0, skipped = 0;
  std::vector<std::string> unexpected, expected_failures, unreadable;
  std::map<std::string, std::pair<size_t, std::string>> discrepancies;  // what -> count, lines
  std::set<std::pair<std::string, int>> failing;
  std::set<std::string> failing_files;
  std::set<std::string> run_files;
  for (const auto &path : files) {
    std::string name = path.filename().string();
    run_files.insert(name);
    FileResult r;
    auto file_start = std::chrono::steady_clock::now();
    try {
      r = runner.run(read_wast(path));
    } catch (const std::exception &e) {
      // The script could not be read: a failure of the whole file.
      unreadable.push_back(name + ": " + e.what());
      r.file = name;
      r.commands = r.failed = 1;
    }
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - file_start);
    std::printf("%-40s %9zu %9zu %9zu %9zu %8lld\n", name.c_str(), r.commands, r.passed, r.failed,
                r.skipped, static_cast<long long>(ms.count()));
    commands += r.commands;
    passed += r.passed;
    failed += r.failed;
    skipped += r.skipped;
    for (const auto &f : r.failures) {
      failing.insert({name, f.line});
      failing_files.insert(name);
      std::string text =
          name + ":" + std::to_string(f.line) + ": " + to_string(f.kind) + ": " + f.detail;
      if (const Expectation *e = expectations.find(name, f.line))
        expected_failures.push_back(text + "\n    listed: " + e->reason);
      else
        unexpected.push_back(text);
    }
    for (const auto &d : r.discrepancies) {
      std::string what = name + ": " + to_string(d.kind) + " \"" + d.text + "\"";
      auto &[count, lines] = discrepancies[what];
      count++;
      lines += (lines.empty() ? "" : ", ") + std::to_string(d.line);
    }
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  std::vector<std::string> stale;
  for (const auto &e : expectations.entries())
    if ((opts.files.empty() || run_files.count(e.file)) &&
        (e.line ? !failing.count({e.file, e.line}) : !failing_files.count(e.file)))
      stale.push_back(opts.expectations.filename().string() + ":" + std::to_string(e.list_line) +
                      ": " + e.file + ":" + std::to_string(e.line) +
                      " passes now (or is no command)");

  std::printf("%-40s %9zu %9zu %9zu %9zu %8.0f\n\n", "total", commands, passed, failed, skipped,
              seconds * 1000);
  auto section = [](const char *title, const std::vector<std::string> &lines) {
    if (lines.empty()) return;
    std::printf("%s (%zu):\n", title, lines.size());
    for (const auto &l : lines) std::printf("  %s\n", l.c_str());
    std::printf("\n");
  };
  section("Scripts that could not be read", unreadable);
  section("UNEXPECTED failures", unexpected);
  section("Expected failures (listed in the expectations file)", expected_failures);
  section("Listed as failing but not failing: remove them from the expectations file", stale);
  std::vector<std::string> notes;
  for (const auto &[what, where] : discrepancies) {
    const auto &[count, lines] = where;
    notes.push_back(what + ": " + std::to_string(count) +
                    (count > 1 ? " modules, lines " : " module, line ") +
                    (opts.verbose || lines.size() < 60 ? lines : lines.substr(0, 60) + "..."));
  }
  section(
      "Notes: modules the spec rejects that V8 rejects but the toolkit's reader (wabt) "
      "accepts; not failures, since the project's load path runs both",
      notes);
  std::printf("spectest print calls: %llu; time: %.1f s\n",
              static_cast<unsigned long long>(spectest.print_calls()), seconds);
  std::printf("%zu passed, %zu failed, %zu skipped\n", passed, failed, skipped);
  bool ok = unexpected.empty() && stale.empty() && unreadable.empty();
  if (!ok)
    std::printf("FAILED: %zu unexpected failures, %zu stale expectations, %zu unreadable scripts\n",
                unexpected.size(), stale.size(), unreadable.size());
  return ok ? 0 : 1;
}
