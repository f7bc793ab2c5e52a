#include "engine/native/build.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "engine/native/artifact_cache.h"
#include "engine/native/c_glue.h"
#include "engine/native/object_check.h"
#include "engine/native/source_check.h"
#include "toolkit/binary_edit.h"
#include "toolkit/instrument.h"

namespace pgwasm::engine::native {

namespace {

namespace fs = std::filesystem;

std::string read_file(const std::string &path, size_t max_bytes = SIZE_MAX) {
  std::ifstream in(path, std::ios::binary);
  std::string s;
  char buf[65536];
  while (in && s.size() < max_bytes) {
    in.read(buf, sizeof buf);
    s.append(buf, static_cast<size_t>(in.gcount()));
  }
  return s;
}

void write_file(const std::string &path, std::string_view data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  if (!out) throw BuildError("cannot write " + path);
}

// A child process of the build: its own process group (a timeout or a stop
// kills what it started), its output in its log, and its limits.
struct Child {
  pid_t pid = -1;
  std::chrono::steady_clock::time_point deadline;
};

// Starts argv with its output in `log`, limited in time and to `memory`
// bytes of address space. Only async-signal-safe calls between fork and exec.
Child spawn(const std::vector<std::string> &argv, const std::string &log, const Toolchain &tc,
            uint64_t memory) {
  std::vector<char *> args;
  for (const auto &a : argv) args.push_back(const_cast<char *>(a.c_str()));
  args.push_back(nullptr);
  int out = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (out < 0) throw BuildError("cannot create " + log);
  rlim_t cpu = static_cast<rlim_t>(tc.timeout.count());
  rlim_t mem = static_cast<rlim_t>(memory);
  rlim_t file = static_cast<rlim_t>(tc.file_bytes);
  pid_t pid = fork();
  if (pid < 0) {
    close(out);
    throw BuildError("cannot start " + argv[0]);
  }
  if (pid == 0) {
    setpgid(0, 0);
    struct rlimit cpu_limit = {cpu, cpu}, mem_limit = {mem, mem}, file_limit = {file, file},
                  no_core = {0, 0};
    setrlimit(RLIMIT_CPU, &cpu_limit);
    setrlimit(RLIMIT_AS, &mem_limit);
    setrlimit(RLIMIT_FSIZE, &file_limit);
    setrlimit(RLIMIT_CORE, &no_core);
    int null_in = open("/dev/null", O_RDONLY);
    dup2(null_in, 0);
    dup2(out, 1);
    dup2(out, 2);
    execv(args[0], args.data());
    _exit(127);
  }
  // Also here, so that a kill right after fork reaches its group.
  setpgid(pid, pid);
  close(out);
  return {pid, std::chrono::steady_clock::now() + tc.timeout};
}

void kill_child(const Child &child) {
  kill(-child.pid, SIGKILL);
  kill(child.pid, SIGKILL);
  int status;
  waitpid(child.pid, &status, 0);
}

// Runs argv with its output in `log`, limited in time and memory; returns
// the exit status.
int run(const std::vector<std::string> &argv, const std::string &log, const Toolchain &tc,
        const std::function<bool()> &should_stop) {
  Child child = spawn(argv, log, tc, tc.memory_bytes);
  int status = 0;
  for (;;) {
    pid_t done = waitpid(child.pid, &status, WNOHANG);
    if (done == child.pid) break;
    bool stop = should_stop && should_stop();
    if (stop || std::chrono::steady_clock::now() > child.deadline) {
      kill_child(child);
      if (stop) throw Interrupted();
      throw BuildError(argv[0] + " took longer than " + std::to_string(tc.timeout.count()) + " s");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return status;
}

[[noreturn]] void throw_failure(const std::string &tool, const std::string &log, int status) {
  std::string words = read_file(log, 1 << 20);
  if (words.size() > 2000) words = "..." + words.substr(words.size() - 2000);
  std::string how = WIFSIGNALED(status)
                        ? "was killed by signal " + std::to_string(WTERMSIG(status))
                        : "failed with status " + std::to_string(WEXITSTATUS(status));
  throw BuildError(fs::path(tool).filename().string() + " " + how + ": " + words);
}

void run_or_throw(const std::vector<std::string> &argv, const std::string &log, const Toolchain &tc,
                  const std::function<bool()> &should_stop) {
  int status = run(argv, log, tc, should_stop);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return;
  throw_failure(argv[0], log, status);
}

struct Job {
  std::vector<std::string> argv;
  std::string log;
};

// Runs every job, at most `parallel` at once, each limited to `memory`
// bytes of address space and to the tools' time. The first to fail, a
// timeout or a stop kills the others and throws as run_or_throw does.
void run_jobs(const std::vector<Job> &jobs, unsigned parallel, uint64_t memory, const Toolchain &tc,
              const std::function<bool()> &should_stop) {
  std::vector<std::pair<size_t, Child>> running;
  auto kill_all = [&] {
    for (const auto &[job, child] : running) kill_child(child);
    running.clear();
  };
  try {
    size_t next = 0;
    while (next < jobs.size() || !running.empty()) {
      while (running.size() < std::max(parallel, 1u) && next < jobs.size()) {
        running.emplace_back(next, spawn(jobs[next].argv, jobs[next].log, tc, memory));
        next++;
      }
      bool ended = false;
      for (size_t r = 0; r < running.size();) {
        auto [job, child] = running[r];
        int status = 0;
        if (waitpid(child.pid, &status, WNOHANG) == child.pid) {
          running.erase(running.begin() + static_cast<std::ptrdiff_t>(r));
          if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            kill_all();
            throw_failure(jobs[job].argv[0], jobs[job].log, status);
          }
          ended = true;
          continue;
        }
        if (std::chrono::steady_clock::now() > child.deadline) {
          kill_all();
          throw BuildError(jobs[job].argv[0] + " took longer than " +
                           std::to_string(tc.timeout.count()) + " s");
        }
        r++;
      }
      if (should_stop && should_stop()) {
        kill_all();
        throw Interrupted();
      }
      if (!ended) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  } catch (...) {
    kill_all();
    throw;
  }
}

// wasm2c's C with the stack check, and the interrupt global read afresh at
// every check (volatile: the compiler may not hoist it out of a loop).
// `interrupt_export`: the generated name of the interrupt global's export.
void adapt_translation(const std::string &dir, std::optional<std::string> interrupt_export) {
  std::string c = with_stack_check(read_file(dir + "/module.c"));
  std::string h = read_file(dir + "/module.h");
  // "u32* Z_mZ_e7(Z_m_instance_t* instance) {\n  return &instance->w2c_gN;"
  size_t at = std::string::npos;
  if (interrupt_export) {
    at = c.find(mangle(kModuleName) + mangle(*interrupt_export) + "(");
    if (at == std::string::npos)
      throw BuildError("wasm2c's output has no accessor of the interrupt global");
  }
  if (at != std::string::npos) {
    size_t field = c.find("&instance->", at);
    size_t end = c.find(';', field);
    if (field == std::string::npos || end == std::string::npos)
      throw BuildError("wasm2c's output has no accessor of the interrupt global");
    std::string name = c.substr(field + 11, end - field - 11);
    std::string decl = "  u32 " + name + ";";
    size_t d = h.find(decl);
    if (d == std::string::npos) throw BuildError("module.h does not declare " + name);
    h.replace(d, decl.size(), "  volatile u32 " + name + ";");
    c.replace(field, end - field, "(u32 *)&instance->" + name);
  }
  write_file(dir + "/module.c", c);
  write_file(dir + "/module.h", h);
}

// Refuses a generated file holding anything the build did not generate.
void check_generated(const std::string &path) {
  if (auto why = generated_source_refusal(read_file(path)))
    throw BuildError("the native build refused its own generated " +
                     fs::path(path).filename().string() + ": " + *why);
}

void place(const std::string &from, const std::string &to) {
  std::error_code ec;
  fs::rename(from, to, ec);
  if (ec) {
    // Another file system: copy, then rename beside the target.
    std::string tmp = fs::path(to).parent_path().string() + "/.tmp" + std::to_string(getpid());
    fs::copy_file(from, tmp, fs::copy_options::overwrite_existing, ec);
    if (!ec) fs::rename(tmp, to, ec);
    if (ec) throw BuildError("cannot place the shared object at " + to + ": " + ec.message());
  }
}

// A fresh directory in `work_dir`, removed with the object.
struct BuildDir {
  explicit BuildDir(const std::string &work_dir) {
    std::string tmpl = work_dir + "/build-XXXXXX";
    std::vector<char> name(tmpl.begin(), tmpl.end());
    name.push_back('\0');
    if (!mkdtemp(name.data())) throw BuildError("cannot make a build directory in " + work_dir);
    path = name.data();
  }
  ~BuildDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  BuildDir(const BuildDir &) = delete;
  BuildDir &operator=(const BuildDir &) = delete;
  std::string path;
};

// The flags every object of the engine is compiled with.
void common_flags(std::vector<std::string> &cc, const Toolchain &tc) {
  for (const auto &f : tc.cflags) cc.push_back(f);
  for (const char *f : {"-shared", "-fPIC", "-w", "-DWASM_RT_MEMCHECK_SIGNAL_HANDLER=0",
                        "-fno-strict-aliasing", "-fsignaling-nans"})
    cc.emplace_back(f);
  cc.push_back("-I" + tc.runtime_dir);
}

// How many compilers a build runs at once: no more than the cores, nor
// than the units, and each with at least kMinJobMemory of the build's
// memory (NativeToolchain::memory_bytes is the whole build's).
unsigned build_jobs(const Toolchain &tc, size_t units) {
  uint64_t by_memory = std::max<uint64_t>(tc.memory_bytes / kMinJobMemory, 1);
  uint64_t cores = std::max(std::thread::hardware_concurrency(), 1u);
  return static_cast<unsigned>(std::min<uint64_t>({by_memory, cores, std::max<size_t>(units, 1)}));
}

// wasm2c's runtime in a shared object of its own, `dir`/`name`, which every
// module's object links (found through $ORIGIN): instances of different
// modules then share one runtime, so that a funcref made by one has the
// same type id in another, and a trap in a module called from another
// unwinds to the outermost entry point (one wasm_rt_jmp_buf).
void ensure_runtime(const std::string &dir, const std::string &name, const Toolchain &tc,
                    const std::function<bool()> &should_stop) {
  std::string path = dir + "/" + name;
  if (intact(path)) return;
  BuildDir build(dir);
  write_file(build.path + "/runtime.c", runtime_source());
  std::vector<std::string> cc = {tc.cc};
  common_flags(cc, tc);
  for (const auto &a : {build.path + "/runtime.c", std::string("-o"), build.path + "/runtime.so",
                        std::string("-lm")})
    cc.push_back(a);
  run_or_throw(cc, build.path + "/cc.log", tc, should_stop);
  seal(build.path + "/runtime.so");
  place(build.path + "/runtime.so", path);
}

}  // namespace

std::string runtime_name(const Toolchain &tc, const std::string &toolchain_id) {
  std::string what = toolchain_id + "\nruntime 2\n" + runtime_source() +
                     read_file(tc.runtime_dir + "/wasm-rt-impl.c") +
                     read_file(tc.runtime_dir + "/wasm-rt-impl.h");
  return "wasm-rt-" +
         sha256_hex(std::span(reinterpret_cast<const uint8_t *>(what.data()), what.size()))
             .substr(0, 24) +
         ".so";
}

bool toolchain_available(const Toolchain &tc) {
  return access(tc.wasm2c.c_str(), X_OK) == 0 && access(tc.cc.c_str(), X_OK) == 0 &&
         access((tc.runtime_dir + "/wasm-rt-impl.c").c_str(), R_OK) == 0;
}

// Asks the tools their versions (two child processes: milliseconds).
static std::string ask_toolchain_id(const Toolchain &tc) {
  char dir_template[] = "/tmp/pg_wasm_toolchain_XXXXXX";
  std::string id;
  if (char *dir = mkdtemp(dir_template)) {
    std::string log = std::string(dir) + "/v";
    for (const auto *tool : {&tc.cc, &tc.wasm2c}) {
      try {
        run({*tool, "--version"}, log, tc, nullptr);
        std::string v = read_file(log, 4096);
        id += v.substr(0, v.find('\n')) + ";";
      } catch (const std::exception &) {
        id += "?;";
      }
    }
    fs::remove_all(dir);
  }
  for (const auto &f : tc.cflags) id += f + " ";
  id += "glue " + std::to_string(kGlueAbi);
  return id;
}

std::string toolchain_id(const Toolchain &tc, const std::string &cache_dir) {
  // What the tools' files are now: while they stay the same, so do their
  // versions, kept in the cache rather than asked again by every session.
  std::string stamp;
  for (const auto *path : {&tc.cc, &tc.wasm2c}) {
    struct stat st;
    stamp += *path;
    if (stat(path->c_str(), &st) == 0)
      stamp += ":" + std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino) + ":" +
               std::to_string(st.st_size) + ":" + std::to_string(st.st_mtim.tv_sec) + "." +
               std::to_string(st.st_mtim.tv_nsec);
    stamp += ";";
  }
  for (const auto &f : tc.cflags) stamp += f + " ";
  stamp += "glue " + std::to_string(kGlueAbi);
  std::string file =
      cache_dir + "/toolchain-" +
      sha256_hex(std::span(reinterpret_cast<const uint8_t *>(stamp.data()), stamp.size()))
          .substr(0, 32) +
      ".id";
  std::string id = read_file(file, 4096);
  if (!id.empty()) return id;
  id = ask_toolchain_id(tc);
  std::string tmp = cache_dir + "/.tmp" + std::to_string(getpid());
  try {
    write_file(tmp, id);
    fs::rename(tmp, file);
  } catch (const std::exception &) {
    std::error_code ec;
    fs::remove(tmp, ec);
  }
  return id;
}

std::vector<TranslationUnit> translate(std::span<const uint8_t> wasm, const ModuleInfo &info,
                                       const std::string &dir, const Toolchain &tc,
                                       const std::function<bool()> &should_stop) {
  // wasm2c reads a copy of the module with no text of its own: no byte the
  // module chose can reach the C (docs/safety.md).
  toolkit::ModuleNames names = generated_names(info);
  std::vector<uint8_t> anonymous;
  try {
    anonymous = toolkit::replace_names(wasm, names);
  } catch (const std::exception &e) {
    throw BuildError(std::string("cannot rename the module's imports and exports: ") + e.what());
  }
  write_file(dir + "/module.wasm",
             std::string_view(reinterpret_cast<const char *>(anonymous.data()), anonymous.size()));
  run_or_throw(
      {tc.wasm2c, dir + "/module.wasm", "-n", std::string(kModuleName), "-o", dir + "/module.c"},
      dir + "/wasm2c.log", tc, should_stop);
  std::optional<std::string> interrupt_export;
  if (auto e = info.export_index(toolkit::kInterruptExport)) interrupt_export = names.exports[*e];
  adapt_translation(dir, interrupt_export);
  try {
    write_file(dir + "/glue.c", c_glue(info));
  } catch (const Unsupported &u) {
    throw CompileError("the native engine cannot run this module: " + u.why);
  }
  for (const char *file : {"/module.c", "/module.h", "/glue.c"}) check_generated(dir + file);
  SplitTranslation split;
  try {
    split = split_translation(read_file(dir + "/module.c"), SplitPolicy{});
  } catch (const std::runtime_error &e) {
    throw BuildError(e.what());
  }
  write_file(dir + "/" + std::string(kSharedHeader), split.shared);
  check_generated(dir + "/" + std::string(kSharedHeader));
  for (auto &unit : split.units) {
    write_file(dir + "/" + unit.name, unit.source);
    check_generated(dir + "/" + unit.name);
    unit.source.clear();
  }
  return std::move(split.units);
}

void build_shared_object(std::span<const uint8_t> wasm, const ModuleInfo &info,
                         const std::string &work_dir, const std::string &out_path,
                         const std::string &runtime_path, const Toolchain &tc,
                         const std::function<bool()> &should_stop) {
  // The runtime goes in the directory above the module's own, where
  // $ORIGIN/.. finds it: one for every module of the cache.
  std::string runtime_dir = fs::path(runtime_path).parent_path().string();
  std::string runtime = fs::path(runtime_path).filename().string();
  if (fs::absolute(fs::path(out_path)).parent_path().parent_path() != fs::absolute(runtime_dir))
    throw BuildError("a module's object must be in a directory beside the runtime's");
  ensure_runtime(runtime_dir, runtime, tc, should_stop);
  BuildDir build(work_dir);
  const std::string &dir = build.path;
  std::vector<TranslationUnit> units = translate(wasm, info, dir, tc, should_stop);
  units.push_back({"glue.c", {}, 2, 0});
  // Each unit compiled by a process of its own, as many at once as there
  // are cores and the build's memory allows, then linked.
  std::vector<Job> compile;
  for (const auto &unit : units) {
    std::vector<std::string> cc = {tc.cc};
    common_flags(cc, tc);
    // No sibling calls: a Wasm call that recursed without end would become
    // a loop, where WebAssembly exhausts the stack.
    for (const char *f : {"-fvisibility=hidden", "-fno-optimize-sibling-calls"}) cc.emplace_back(f);
    // Below the toolchain's own level (its cflags) for units of costly functions.
    if (unit.optimization < 2) cc.push_back("-O" + std::to_string(unit.optimization));
    cc.push_back("-I" + dir);
    std::string object = dir + "/" + fs::path(unit.name).stem().string() + ".o";
    for (const auto &a : {std::string("-c"), dir + "/" + unit.name, std::string("-o"), object})
      cc.push_back(a);
    compile.push_back({std::move(cc), object + ".log"});
  }
  unsigned parallel = build_jobs(tc, units.size());
  run_jobs(compile, parallel, tc.memory_bytes / parallel, tc, should_stop);
  std::vector<std::string> cc = {tc.cc};
  common_flags(cc, tc);
  // No crt*.o: their init and fini code, run at load, is refused (object_check.h).
  cc.emplace_back("-nostartfiles");
  for (const auto &unit : units)
    cc.push_back(dir + "/" + fs::path(unit.name).stem().string() + ".o");
  cc.push_back("-o");
  cc.push_back(dir + "/module.so");
  cc.push_back("-L" + runtime_dir);
  cc.push_back("-l:" + runtime);
  cc.push_back("-Wl,-rpath,$ORIGIN/..");
  cc.push_back("-lm");
  run_or_throw(cc, dir + "/cc.log", tc, should_stop);
  std::string object = read_file(dir + "/module.so");
  if (auto why =
          object_refusal(std::span(reinterpret_cast<const uint8_t *>(object.data()), object.size()),
                         module_object_rules(runtime)))
    throw BuildError("the native build refused the object it made: " + *why);
  seal(dir + "/module.so");
  place(dir + "/module.so", out_path);
}

}  // namespace pgwasm::engine::native
