#include "fdw/server_package.h"

#include "fdw/context.h"
#include "fdw/fdw_headers.h"
#include "toolkit/semver.h"

#include <cstdio>
#include "pg/catalog.h"
#include "pg/module_loader.h"
#include "toolkit/sha256.h"

extern "C" {
#include "parser/parse_func.h"
}

namespace pgwasm::fdw {

using pg::pg_guard;
using pg::SqlError;

namespace {

std::vector<uint8_t> fetch_package(const PackageSpec &spec) {
  if (spec.url.starts_with("file://")) return pg::read_server_file(spec.url.substr(7));
  // http(s): through the guests' HTTP client, under wasm.http_allowed_hosts.
  ServerConfig none;
  HttpPolicy policy = http_policy(none);
  policy.limits.max_response_bytes = std::max<size_t>(policy.limits.max_response_bytes, 64 << 20);
  services::HttpRequest req{"GET", spec.url, {}, {}};
  services::HttpResponse resp;
  try {
    resp = services::perform(req, policy.allowlists, policy.limits,
                             [] { return QueryCancelPending || ProcDiePending; });
  } catch (const services::HttpError &e) {
    pg_guard([] { CHECK_FOR_INTERRUPTS(); });
    throw SqlError(ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION,
                   "could not read package \"" + spec.name + "\" " + spec.version + ": " + e.what(),
                   "", "Its host must be in wasm.http_allowed_hosts.");
  }
  if (resp.status != 200)
    throw SqlError(ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION,
                   "could not read package \"" + spec.name + "\" " + spec.version +
                       ": the server answered with status " + std::to_string(resp.status));
  return {resp.body.begin(), resp.body.end()};
}

// Storing a package loads a module: the current user needs what
// wasm.load_module needs, EXECUTE on it (granted directly, to PUBLIC or to a
// role it is a member of), or USAGE on the wrapper would be a load grant.
void require_load_right(const PackageSpec &spec, const std::string &module) {
  bool allowed = pg_guard([] {
    Oid argtypes[4] = {TEXTOID, BYTEAOID, TEXTOID, BOOLOID};
    List *name = list_make2(makeString(pstrdup("wasm")), makeString(pstrdup("load_module")));
    Oid fn = LookupFuncName(name, 4, argtypes, true);
    if (!OidIsValid(fn)) return superuser();
    return pg_proc_aclcheck(fn, GetUserId(), ACL_EXECUTE) == ACLCHECK_OK;
  });
  if (!allowed)
    throw SqlError(
        ERRCODE_INSUFFICIENT_PRIVILEGE,
        "permission denied to store package \"" + spec.name + "\" " + spec.version +
            " in wasm.modules",
        "Package \"" + spec.name + "\" " + spec.version + " (module \"" + module +
            "\") is not stored yet; reading it from " + spec.url + " would load a module.",
        "Storing a package needs the right to load modules: GRANT EXECUTE ON FUNCTION "
        "wasm.load_module(text, bytea, text, boolean) to this role, or have a role that has it "
        "create a server with this package first.");
}

[[noreturn]] void checksum_mismatch(const PackageSpec &spec, const std::string &actual,
                                    const std::string &where) {
  throw SqlError(
      ERRCODE_INVALID_PARAMETER_VALUE,
      "package \"" + spec.name + "\" " + spec.version + " does not match its checksum",
      "fdw_package_checksum is " + spec.checksum + "; " + where + " has sha256 " + actual + ".",
      "Check the URL and the checksum; a package's name and version always name the "
      "same code.");
}

}  // namespace

void ensure_package_stored(const PackageSpec &spec) {
  std::string module = package_module_name(spec);
  if (auto row = pg::catalog::find_module(module, false)) {
    if (row->sha256 != spec.checksum)
      checksum_mismatch(spec, row->sha256, "module \"" + module + "\" in wasm.modules");
    return;
  }
  // Before any request or file read: a role that may not store the package
  // makes the server read nothing.
  require_load_right(spec, module);
  std::vector<uint8_t> bytes = fetch_package(spec);
  std::string sha = toolkit::sha256_hex(bytes);
  if (sha != spec.checksum) checksum_mismatch(spec, sha, "the package at " + spec.url);
  pg::LoadRequest req;
  req.name = module;
  req.code = std::move(bytes);
  req.expected_sha256 = sha;
  pg::load_module(req);
  pg_guard([] { CommandCounterIncrement(); });
}

ServerConfig server_config_from_options(OptionList options) {
  ServerConfig config;
  config.options = std::move(options);
  complete_server_config(config);
  return config;
}

void validate_with_guest(const ServerConfig &server, const TableConfig *table,
                         const OptionList *user, std::string_view catalog) {
  pg::LoadedModule &module = server_module(server);
  OptionList none;
  const OptionList &mapping = user ? *user : none;
  msgpack::sbuffer init;
  {
    pg::MsgpackPacker p(init);
    p.pack_map(common_entries(table, user, true));
    pack_common(p, server, table, user, true);
  }
  // Validation makes no requests. A component's init is not run: as on
  // Supabase's host, it runs when a statement uses the server, once its
  // user mapping (where its secrets are) exists, and may make requests.
  FdwGuest guest(module, guest_context(server, table, mapping, std::nullopt),
                 std::string_view(init.data(), init.size()), !module.component);
  if (guest.exports(Routine::HostVersionRequirement)) {
    std::string requirement(guest.call(Routine::HostVersionRequirement));
    std::string why;
    // The core ABI's host is 1.0.0; a component's, its world's (0.1.x, 0.2.x).
    std::string host(guest.host_version());
    toolkit::Version version;
    std::sscanf(host.c_str(), "%d.%d.%d", &version.major, &version.minor, &version.patch);
    auto ok = toolkit::satisfies(requirement, version, why);
    if (!ok)
      guest.fail(
          ERRCODE_INVALID_PARAMETER_VALUE,
          describe_code(server) + " states a host version requirement pg_wasm cannot read: " + why);
    if (!*ok)
      guest.fail(ERRCODE_INVALID_PARAMETER_VALUE, describe_code(server) +
                                                      " requires the FDW host version " +
                                                      requirement + "; pg_wasm's is " + host);
  }
  if (!guest.exports(Routine::Validate)) return;
  msgpack::sbuffer buf;
  pg::MsgpackPacker p(buf);
  p.pack_map(common_entries(table, user, true) + 1);
  pack_common(p, server, table, user, true);
  pack_str(p, "catalog");
  pack_str(p, catalog);
  guest.call(Routine::Validate, std::string_view(buf.data(), buf.size()));
}

}  // namespace pgwasm::fdw
