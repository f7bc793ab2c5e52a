// WASI 0.2 as the host knows it (component/wasi.h): module names of every
// 0.2.N in both forms, the core types of the functions the host offers (as
// the tools' output imports them), and handles of WASI's resources beside
// supabase's in one table.
#include <gtest/gtest.h>

#include "component/handles.h"
#include "component/package.h"
#include "component/read.h"
#include "component/wasi.h"
#include "component/world.h"
#include "component_fixtures.h"
#include "error_of.h"

namespace pgwasm::component {
using test::error_of;

namespace {

TEST(WasiModule, AnyPatchOfZeroTwoInBothForms) {
  auto m = parse_wasi_module("wasi:io/poll@0.2.10");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->interface, "io/poll");
  EXPECT_EQ(m->patch, 10u);
  m = parse_wasi_module("wasi:clocks/monotonic-clock@0.2.0");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->interface, "clocks/monotonic-clock");
  EXPECT_EQ(m->patch, 0u);
  m = parse_wasi_module("cm32p2|wasi:io/poll@0.2");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->interface, "io/poll");
  m = parse_wasi_module("cm32p2|wasi:http/types@0.2.12");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->interface, "http/types");
  EXPECT_EQ(m->patch, 12u);
  // Every form names one registered module.
  EXPECT_EQ(wasi_module_name(parse_wasi_module("wasi:io/poll@0.2.3")->interface),
            "wasi:io/poll@0.2");
}

TEST(WasiModule, OtherVersionsAndNamesAreNotWasiZeroTwo) {
  for (const char *name :
       {"wasi:io/poll@0.3.0", "wasi:io/poll@0.2", "wasi:io/poll@1.2.0", "wasi:io/poll@0.20.1",
        "wasi:io/poll@0.2.", "wasi:io/poll@0.2.01", "wasi:io/poll@0.2.x", "wasi:io/poll",
        "wasi:io@0.2.0", "wasi:/poll@0.2.0", "wasi:io/@0.2.0", "wasi:io/poll/x@0.2.0",
        "wasi:IO/poll@0.2.0", "wasi_snapshot_preview1", "supabase:wrappers/http@0.2.0",
        "cm32p2|wasi:io/poll@0.1", "cm32p2|", "wasi:io/poll@0.2.1234567", ""})
    EXPECT_FALSE(parse_wasi_module(name)) << name;
}

// The core types of the lowered imports, as componentize-js's main module
// imports them (measured on its output) and as the canonical ABI gives
// them: a mismatch would refuse such a component at load.
TEST(WasiHost, CoreTypesOfTheToolsImports) {
  const WasiHost &w = wasi_host();
  auto type = [&](const char *iface, const char *name) {
    const WasiImport *f = w.find(iface, name);
    EXPECT_NE(f, nullptr) << iface << " " << name;
    return f ? to_string(lowered_core_type(f->sig)) : std::string();
  };
  EXPECT_EQ(type("io/poll", "[resource-drop]pollable"), "(i32) -> ()");
  EXPECT_EQ(type("io/poll", "[method]pollable.block"), "(i32) -> ()");
  EXPECT_EQ(type("io/poll", "poll"), "(i32, i32, i32) -> ()");
  EXPECT_EQ(type("io/streams", "[method]input-stream.read"), "(i32, i64, i32) -> ()");
  EXPECT_EQ(type("io/streams", "[method]input-stream.blocking-read"), "(i32, i64, i32) -> ()");
  EXPECT_EQ(type("io/streams", "[method]input-stream.subscribe"), "(i32) -> i32");
  EXPECT_EQ(type("io/streams", "[method]output-stream.check-write"), "(i32, i32) -> ()");
  EXPECT_EQ(type("io/streams", "[method]output-stream.write"), "(i32, i32, i32, i32) -> ()");
  EXPECT_EQ(type("io/streams", "[method]output-stream.blocking-flush"), "(i32, i32) -> ()");
  EXPECT_EQ(type("io/streams", "[resource-drop]output-stream"), "(i32) -> ()");
  EXPECT_EQ(type("clocks/monotonic-clock", "now"), "() -> i64");
  EXPECT_EQ(type("clocks/monotonic-clock", "subscribe-duration"), "(i64) -> i32");
  EXPECT_EQ(type("clocks/monotonic-clock", "subscribe-instant"), "(i64) -> i32");
  EXPECT_EQ(type("random/random", "get-random-bytes"), "(i64, i32) -> ()");
  EXPECT_EQ(type("random/random", "get-random-u64"), "() -> i64");
  // Others, as the WIT gives them.
  EXPECT_EQ(type("clocks/wall-clock", "now"), "(i32) -> ()");
  EXPECT_EQ(type("cli/exit", "exit"), "(i32) -> ()");
  EXPECT_EQ(type("cli/stdout", "get-stdout"), "() -> i32");
  EXPECT_EQ(type("cli/environment", "get-environment"), "(i32) -> ()");
  EXPECT_EQ(type("cli/terminal-stdout", "get-terminal-stdout"), "(i32) -> ()");
  EXPECT_EQ(type("filesystem/preopens", "get-directories"), "(i32) -> ()");
  EXPECT_EQ(type("filesystem/types", "[method]descriptor.open-at"),
            "(i32, i32, i32, i32, i32, i32, i32) -> ()");
  EXPECT_EQ(type("filesystem/types", "[method]descriptor.stat"), "(i32, i32) -> ()");
  EXPECT_EQ(type("filesystem/types", "filesystem-error-code"), "(i32, i32) -> ()");
  EXPECT_EQ(type("sockets/tcp-create-socket", "create-tcp-socket"), "(i32, i32) -> ()");
  EXPECT_EQ(type("sockets/ip-name-lookup", "resolve-addresses"), "(i32, i32, i32, i32) -> ()");
  // The sockets' methods, which CPython's socket module and Rust's std
  // import: an ip-socket-address flattens to 12 values (the case, then the
  // ipv6 record's port, flow-info, 8 segments and scope-id), and a result
  // with an error-code comes back through a return pointer.
  auto i32s = [](int n) {
    std::string t = "(";
    for (int i = 0; i < n; i++) t += i ? ", i32" : "i32";
    return t + ") -> ()";
  };
  EXPECT_EQ(type("sockets/tcp", "[method]tcp-socket.start-connect"), i32s(15));
  EXPECT_EQ(type("sockets/tcp", "[method]tcp-socket.finish-connect"), i32s(2));
  EXPECT_EQ(type("sockets/tcp", "[method]tcp-socket.set-listen-backlog-size"),
            "(i32, i64, i32) -> ()");
  EXPECT_EQ(type("sockets/tcp", "[method]tcp-socket.is-listening"), "(i32) -> i32");
  EXPECT_EQ(type("sockets/tcp", "[method]tcp-socket.subscribe"), "(i32) -> i32");
  EXPECT_EQ(type("sockets/tcp", "[resource-drop]tcp-socket"), "(i32) -> ()");
  EXPECT_EQ(type("sockets/udp", "[method]udp-socket.stream"), i32s(15));
  EXPECT_EQ(type("sockets/udp", "[method]incoming-datagram-stream.receive"),
            "(i32, i64, i32) -> ()");
  EXPECT_EQ(type("sockets/udp", "[method]outgoing-datagram-stream.send"), i32s(4));
  EXPECT_EQ(type("sockets/udp", "[resource-drop]outgoing-datagram-stream"), "(i32) -> ()");
  // wasi:http, as componentize-js's fetch imports it.
  EXPECT_EQ(type("http/outgoing-handler", "handle"), "(i32, i32, i32, i32) -> ()");
  EXPECT_EQ(type("http/types", "[constructor]fields"), "() -> i32");
  EXPECT_EQ(type("http/types", "[static]fields.from-list"), "(i32, i32, i32) -> ()");
  EXPECT_EQ(type("http/types", "[method]fields.get"), "(i32, i32, i32, i32) -> ()");
  EXPECT_EQ(type("http/types", "[method]fields.set"), "(i32, i32, i32, i32, i32, i32) -> ()");
  EXPECT_EQ(type("http/types", "[constructor]outgoing-request"), "(i32) -> i32");
  EXPECT_EQ(type("http/types", "[method]outgoing-request.set-method"),
            "(i32, i32, i32, i32) -> i32");
  EXPECT_EQ(type("http/types", "[method]outgoing-request.set-scheme"),
            "(i32, i32, i32, i32, i32) -> i32");
  EXPECT_EQ(type("http/types", "[method]outgoing-request.body"), "(i32, i32) -> ()");
  EXPECT_EQ(type("http/types", "[static]outgoing-body.finish"), "(i32, i32, i32, i32) -> ()");
  EXPECT_EQ(type("http/types", "[method]future-incoming-response.get"), "(i32, i32) -> ()");
  EXPECT_EQ(type("http/types", "[method]future-incoming-response.subscribe"), "(i32) -> i32");
  EXPECT_EQ(type("http/types", "[method]incoming-response.status"), "(i32) -> i32");
  EXPECT_EQ(type("http/types", "[method]incoming-body.stream"), "(i32, i32) -> ()");
  EXPECT_EQ(type("http/types", "[static]response-outparam.set"),
            "(i32, i32, i32, i32, i64, i32, i32, i32, i32) -> ()");
  EXPECT_EQ(w.find("io/poll", "no-such-function"), nullptr);
}

// Each function once, each drop of a resource with its id.
// error-code's layout, where a guest reads the case a request failed with:
// 32 bytes aligned to 8, the case a byte at 0.
TEST(WasiHost, HttpErrorCodeLayout) {
  const Type &t = *wasi_host().types.http_error_code;
  EXPECT_EQ(t.items.size(), 39u);
  EXPECT_EQ(size_of(t), 32u);
  EXPECT_EQ(alignment(t), 8u);
  EXPECT_EQ(t.names[kHttpRequestDenied], "HTTP-request-denied");
  EXPECT_EQ(t.names[kHttpInternalError], "internal-error");
  EXPECT_EQ(t.names[kHttpResponseBodySize], "HTTP-response-body-size");
}

TEST(WasiHost, FunctionsAreUniqueAndDropsNameTheirResource) {
  const WasiHost &w = wasi_host();
  for (size_t i = 0; i < w.imports.size(); i++) {
    for (size_t j = i + 1; j < w.imports.size(); j++)
      EXPECT_FALSE(w.imports[i].interface == w.imports[j].interface &&
                   w.imports[i].name == w.imports[j].name)
          << w.imports[i].interface << " " << w.imports[i].name;
    const WasiImport &f = w.imports[i];
    if (f.fn == WasiFn::Drop) {
      EXPECT_EQ(f.name, "[resource-drop]" + resource_name(f.resource));
    }
    // (A request-options timeout's `resource` says which timeout.)
    if (f.name.starts_with("[method]") && f.fn != WasiFn::OptionsTimeout &&
        f.fn != WasiFn::OptionsSetTimeout) {
      ASSERT_FALSE(f.sig.params.empty());
      EXPECT_EQ(f.sig.params[0]->kind, Kind::Borrow);
      EXPECT_EQ(f.sig.params[0]->resource, f.resource);
      EXPECT_TRUE(f.name.starts_with("[method]" + resource_name(f.resource) + "."));
    }
  }
}

// WASI's resources and supabase's share one table: ids apart, names in
// messages.
TEST(WasiHost, HandlesOfBothWorldsInOneTable) {
  HandleTable t;
  uint32_t row = t.add(Resource::Row, 0, true);
  uint32_t out = t.add(WasiResource::OutputStream, 1, true);
  uint32_t poll = t.add(WasiResource::Pollable, 7, true);
  EXPECT_EQ(t.rep(out, WasiResource::OutputStream), 1u);
  EXPECT_EQ(t.rep(poll, WasiResource::Pollable), 7u);
  EXPECT_EQ(t.live(), 3u);
  EXPECT_EQ(error_of([&] { t.rep(row, WasiResource::Pollable); }),
            "resource handle 1 (row) is not a pollable");
  EXPECT_EQ(error_of([&] { t.rep(out, Resource::Row); }),
            "resource handle 2 (output-stream) is not a row");
  t.drop(poll, WasiResource::Pollable);
  EXPECT_EQ(error_of([&] { t.drop(poll, WasiResource::Pollable); }),
            "resource handle 3 (pollable) was never given to the guest, or was dropped already");
  EXPECT_EQ(error_of([&] { t.rep(99, WasiResource::Descriptor); }),
            "resource handle 99 (descriptor) was never given to the guest, or was dropped "
            "already");
  EXPECT_EQ(resource_name(1000), "resource 1000");
}

// A component with a preview 1 adapter's shape: the import the adapter
// lowers names the adapter's realloc, from a core instance that is not the
// main one, which the host (instantiating only the main module) must tell
// apart from the main module's cabi_realloc.
TEST(WasiAdapter, ReallocsSayWhichCoreInstanceTheyBelongTo) {
  LOAD(bytes, "adapter_shape.wasm");
  Component c = read_component(bytes);
  Package p = describe_package(c);
  ASSERT_EQ(p.exports.size(), 1u);
  ASSERT_TRUE(p.main_instance);
  EXPECT_EQ(*p.main_instance, p.exports[0].core_instance);
  ASSERT_EQ(p.lowered.size(), 1u);
  EXPECT_EQ(p.lowered[0].interface, "wasi:cli/environment@0.2.0");
  EXPECT_EQ(p.lowered[0].options.realloc, "cabi_import_realloc");
  ASSERT_TRUE(p.lowered[0].options.realloc_instance);
  EXPECT_NE(p.lowered[0].options.realloc_instance, p.main_instance);
}

}  // namespace
}  // namespace pgwasm::component
