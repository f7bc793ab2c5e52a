#include "toolkit/text.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>

#include "toolkit/limits.h"
#include "toolkit/worker.h"
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

// Every s-expression of the text format starts with a keyword. wabt 1.0.32's
// parser asserts (aborts the process) on some that do not, as `()` or
// `("x")` among element expressions: refused before it sees them.
static bool opens_without_keyword(const wabt::Token &next) {
  auto t = next.token_type();
  return t == wabt::TokenType::Lpar || t == wabt::TokenType::Rpar || t == wabt::TokenType::Eof ||
         next.HasLiteral() || next.HasText();
}

// What may open a parenthesis inside an element segment.
static bool opens_in_elem(const wabt::Token &next) {
  auto t = next.token_type();
  return next.HasOpcode() || t == wabt::TokenType::Item || t == wabt::TokenType::Offset ||
         t == wabt::TokenType::Table;
}

// The parser recurses once per open parenthesis and per block of the flat
// syntax (block ... end), taking about 700 bytes of stack per level: bound
// both before parsing, with the lexer alone. Returns the deepest nesting.
static uint32_t check_nesting(std::string_view wat) {
  wabt::Errors errors;
  auto lexer = wabt::WastLexer::CreateBufferLexer("module.wat", wat.data(), wat.size(), &errors);
  uint32_t parens = 0, flat = 0, deepest = 0;
  bool after_paren = false;
  // Inside (elem ...), the parenthesis level it opened at, else 0: wabt
  // 1.0.32 asserts on an element expression that is not an instruction.
  uint32_t elem_level = 0;
  for (;;) {
    wabt::Token token = lexer->GetToken();
    // Annotations, (@name ...), are not WebAssembly 2.0; wabt 1.0.32 takes
    // a quoted name cut short by a newline for a string of negative length.
    if (token.token_type() == wabt::TokenType::LparAnn)
      throw TextError(token.loc.line, token.loc.first_column,
                      "annotations are not part of WebAssembly 2.0's text format");
    if (after_paren && opens_without_keyword(token))
      throw TextError(token.loc.line, token.loc.first_column,
                      "a parenthesis must be followed by a keyword");
    if (after_paren && elem_level > 0 && !opens_in_elem(token))
      throw TextError(token.loc.line, token.loc.first_column,
                      "an element segment holds only its table, offset and items, and "
                      "instructions");
    if (after_paren && elem_level == 0 && token.token_type() == wabt::TokenType::Elem)
      elem_level = parens;
    switch (token.token_type()) {
      case wabt::TokenType::Eof: return deepest;
      case wabt::TokenType::Lpar: parens++; break;
      case wabt::TokenType::Rpar:
        if (parens > 0) parens--;
        if (parens < elem_level) elem_level = 0;
        break;
      case wabt::TokenType::Block:
      case wabt::TokenType::Loop:
      case wabt::TokenType::If:
      case wabt::TokenType::Try:
        if (!after_paren) flat++;
        break;
      case wabt::TokenType::End:
        if (flat > 0) flat--;
        break;
      default: break;
    }
    after_paren = token.token_type() == wabt::TokenType::Lpar;
    deepest = std::max(deepest, parens + flat);
    if (parens + flat > limits::kNestingDepth)
      throw TextError(
          token.loc.line, token.loc.first_column,
          "expressions are nested more than " + std::to_string(limits::kNestingDepth) + " deep");
  }
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

static std::vector<uint8_t> parse_and_encode(std::string_view wat) {
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

std::vector<uint8_t> assemble_wat(std::string_view wat) {
  if (wat.size() > limits::kTextBytes)
    throw TextError(1, 1,
                    "the text has " + std::to_string(wat.size()) + " bytes; at most " +
                        std::to_string(limits::kTextBytes) + " are allowed");
  // Text nested a few hundred levels deep, or long, goes to a worker: its
  // stack has room for the deepest, and the caller can stop waiting.
  constexpr uint32_t kInlineNesting = 256;
  bool big = wat.size() > kInlineWorkBytes;
  if (!big && check_nesting(wat) <= kInlineNesting) return assemble(wat);
  auto text = std::make_shared<const std::string>(wat);
  return on_worker([text, big] {
    if (big) check_nesting(*text);
    return assemble(*text);
  });
}

bool looks_like_binary(std::span<const uint8_t> bytes) {
  return bytes.size() >= 4 && std::memcmp(bytes.data(), "\0asm", 4) == 0;
}

}  // namespace pgwasm::toolkit
