#include "toolkit/text.h"

#include <cstring>

#include "wabt/binary-writer.h"
#include "wabt/feature.h"
#include "wabt/stream.h"
#include "wabt/validator.h"
#include "wabt/wast-lexer.h"
#include "wabt/wast-parser.h"

namespace pgwasm::toolkit {

static TextError first_error(const wabt::Errors &errors, TextError::Kind kind) {
  for (const auto &e : errors)
    if (e.error_level == wabt::ErrorLevel::Error)
      return TextError(e.loc.line, e.loc.first_column, e.message, kind);
  return TextError(0, 0, "unknown error", kind);
}

std::vector<uint8_t> assemble_wat(std::string_view wat) {
  wabt::Features features;
  wabt::Errors errors;
  auto lexer = wabt::WastLexer::CreateBufferLexer("module.wat", wat.data(), wat.size(), &errors);
  std::unique_ptr<wabt::Module> module;
  wabt::WastParseOptions parse_options(features);
  if (wabt::Failed(wabt::ParseWatModule(lexer.get(), &module, &errors, &parse_options)))
    throw first_error(errors, TextError::Kind::Malformed);
  wabt::ValidateOptions vopts(features);
  if (wabt::Failed(wabt::ValidateModule(module.get(), &errors, vopts)))
    throw first_error(errors, TextError::Kind::Invalid);
  wabt::MemoryStream stream;
  wabt::WriteBinaryOptions wopts(features, /*canonicalize_lebs=*/true, /*relocatable=*/false,
                                 /*write_debug_names=*/true);
  if (wabt::Failed(wabt::WriteBinaryModule(&stream, module.get(), wopts)))
    throw TextError(0, 0, "cannot encode the module as a binary");
  return std::move(stream.output_buffer().data);
}

bool looks_like_binary(std::span<const uint8_t> bytes) {
  return bytes.size() >= 4 && std::memcmp(bytes.data(), "\0asm", 4) == 0;
}

}  // namespace pgwasm::toolkit
