#include "toolkit/text.h"

#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>

#include "toolkit/limits.h"
#include "toolkit/text_precheck.h"
#include "toolkit/worker.h"
#include "wabt/binary-writer.h"
#include "wabt/cast.h"
#include "wabt/feature.h"
#include "wabt/ir.h"
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

static std::vector<uint8_t> parse_and_encode(std::string_view wat);

// Any failure of wabt's is the text's: wabt reports some malformed texts by
// throwing from the standard library rather than with an error.
static std::vector<uint8_t> assemble(std::string_view wat) {
  try {
    return parse_and_encode(wat);
  } catch (const std::length_error &e) {
    throw TextError(0, 0, std::string("the text cannot be parsed (") + e.what() + ")");
  } catch (const std::out_of_range &e) {
    throw TextError(0, 0, std::string("the text cannot be parsed (") + e.what() + ")");
  }
}

// wabt 1.0.32 parses `(memory i64 ...)` whatever its features say, and
// neither its validator nor its writer refuse it: a memory64 module would
// come out of a text that is not WebAssembly 2.0.
static void refuse_memory64(const wabt::Module &module) {
  for (const wabt::ModuleField &field : module.fields) {
    const wabt::Limits *limits = nullptr;
    if (const auto *memory = wabt::dyn_cast<wabt::MemoryModuleField>(&field))
      limits = &memory->memory.page_limits;
    else if (const auto *import = wabt::dyn_cast<wabt::ImportModuleField>(&field))
      if (const auto *memory = wabt::dyn_cast<wabt::MemoryImport>(import->import.get()))
        limits = &memory->memory.page_limits;
    if (limits && limits->is_64)
      throw TextError(field.loc.line, field.loc.first_column,
                      "64-bit memories (memory64) are not part of WebAssembly 2.0",
                      TextError::Kind::Malformed);
  }
}

static std::vector<uint8_t> parse_and_encode(std::string_view wat) {
  wabt::Features features;
  wabt::Errors errors;
  auto lexer = wabt::WastLexer::CreateBufferLexer("module.wat", wat.data(), wat.size(), &errors);
  std::unique_ptr<wabt::Module> module;
  wabt::WastParseOptions parse_options(features);
  if (wabt::Failed(wabt::ParseWatModule(lexer.get(), &module, &errors, &parse_options)))
    throw first_error(errors, TextError::Kind::Malformed);
  refuse_memory64(*module);
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

std::vector<uint8_t> assemble_wat(std::string_view wat) {
  if (wat.size() > limits::kTextBytes)
    throw TextError(1, 1,
                    "the text has " + std::to_string(wat.size()) + " bytes; at most " +
                        std::to_string(limits::kTextBytes) + " are allowed");
  // Text nested a few hundred levels deep, or long, goes to a worker: its
  // stack has room for the deepest, and the caller can stop waiting.
  constexpr uint32_t kInlineNesting = 256;
  bool big = wat.size() > kInlineWorkBytes;
  if (!big && precheck_text(wat) <= kInlineNesting) return assemble(wat);
  auto text = std::make_shared<const std::string>(wat);
  return on_worker([text, big] {
    if (big) precheck_text(*text);
    return assemble(*text);
  });
}

bool looks_like_binary(std::span<const uint8_t> bytes) {
  return bytes.size() >= 4 && std::memcmp(bytes.data(), "\0asm", 4) == 0;
}

}  // namespace pgwasm::toolkit
