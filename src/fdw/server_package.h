// A server's code: a package read once from its URL into wasm.modules
// (checked against fdw_package_checksum), and the checks made when a
// server is created or altered (the guest's host version requirement, its
// fdw_validate).
#pragma once

#include "fdw/options.h"

namespace pgwasm::fdw {

// Makes sure the package's module is in wasm.modules with the package's
// checksum, reading it from its URL only when it is not. Throws SqlError.
void ensure_package_stored(const PackageSpec &spec);

// A server as its options say, before it exists (the validator's view).
ServerConfig server_config_from_options(OptionList options);

// Instantiates the server's guest, checks its host version requirement and
// calls its fdw_validate for `catalog` ("server", "table", "user_mapping").
// `table` and `user` are given for the two latter.
void validate_with_guest(const ServerConfig &server, const TableConfig *table,
                         const OptionList *user, std::string_view catalog);

}  // namespace pgwasm::fdw
