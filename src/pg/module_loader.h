// Loading, replacing and dropping modules: the rules behind wasm.load_module,
// load_module_wat, load_module_file, drop_module and the wasmer-postgres compatible API.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pgwasm::pg {

struct LoadRequest {
  std::string name;
  std::vector<uint8_t> code;  // binary
  std::optional<std::string> expected_sha256;
  bool replace = false;
};

// Validates the code and stores it; returns its sha256. Loading the same
// code again is a no-op; other code under an existing name needs `replace`
// and the right to manage the module, and must still fit every SQL function
// that uses the module. Throws SqlError.
std::string load_module(const LoadRequest &req);

// Drops a module; with `cascade` the SQL functions using it too, otherwise
// refuses while there are any. Throws SqlError.
void drop_module(std::string_view name, bool cascade);

// The bytes of a .wasm or .wat text: binary modules pass through, text is
// assembled. Throws SqlError with the line and column of a syntax error.
std::vector<uint8_t> module_bytes_from_text(std::string_view wat, std::string_view name);

// A file's bytes from the server's file system, for superusers and members
// of pg_read_server_files only; relative paths are relative to the data
// directory. Throws SqlError.
std::vector<uint8_t> read_server_file(std::string_view path);

// A module's binary from a file's bytes: binary modules pass through, text
// is assembled.
std::vector<uint8_t> module_bytes_from_file(std::vector<uint8_t> bytes, std::string_view name);

}  // namespace pgwasm::pg
