#include "toolkit/text_precheck.h"

#include <algorithm>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "toolkit/limits.h"
#include "toolkit/text.h"
#include "wabt/literal.h"
#include "wabt/wast-lexer.h"

namespace pgwasm::toolkit {

namespace {

using wabt::TokenType;

// Element segments are held to WebAssembly 2.0's grammar, their element and
// offset expressions to its constant instructions (ref.null, ref.func,
// global.get, i32.const). Why: wabt 1.0.32 recovers from an error inside an
// instruction list by skipping up to ten tokens, closing parentheses
// included, which can leave its parser reading a segment's list of elements
// where the text has a module field; there, a parenthesis that opens no
// instruction fails an assertion (WastParser::ParseElemExprOpt calls
// ParseExpr unchecked). With every instruction inside a segment well formed,
// no recovery happens inside one, and every parenthesis in its list opens an
// instruction or an (item ...).
class Precheck {
 public:
  explicit Precheck(std::string_view wat)
      : lexer_(wabt::WastLexer::CreateBufferLexer("module.wat", wat.data(), wat.size(), &errors_)) {
  }

  // Returns the deepest nesting.
  uint32_t run() {
    // The keyword each open parenthesis opened, to tell a table's inline
    // element segment.
    std::vector<TokenType> open;
    uint32_t flat = 0, deepest = 0;
    for (;;) {
      wabt::Token token = take();
      switch (token.token_type()) {
        case TokenType::Eof: return deepest;
        case TokenType::Lpar: {
          wabt::Token keyword = take();
          if (opens_without_keyword(keyword))
            fail(keyword, "a parenthesis must be followed by a keyword");
          open.push_back(keyword.token_type());
          bound_depth(token, static_cast<uint32_t>(open.size()) + flat, deepest);
          if (keyword.token_type() == TokenType::Elem) {
            bool in_table = open.size() >= 2 && open[open.size() - 2] == TokenType::Table;
            elem_segment(in_table);  // its own parentheses nest two deeper at most
            open.pop_back();
          }
          break;
        }
        case TokenType::Rpar:
          if (!open.empty()) open.pop_back();
          break;
        case TokenType::Block:
        case TokenType::Loop:
        case TokenType::If:
        case TokenType::Try:
          flat++;
          bound_depth(token, static_cast<uint32_t>(open.size()) + flat, deepest);
          break;
        case TokenType::End:
          if (flat > 0) flat--;
          break;
        default: break;
      }
    }
  }

 private:
  // Every s-expression of the text format starts with a keyword; wabt
  // 1.0.32 asserts on some that do not, as `()` or `("x")`.
  static bool opens_without_keyword(const wabt::Token &next) {
    auto t = next.token_type();
    return t == TokenType::Lpar || t == TokenType::Rpar || t == TokenType::Eof ||
           next.HasLiteral() || next.HasText();
  }

  static void bound_depth(const wabt::Token &at, uint32_t depth, uint32_t &deepest) {
    deepest = std::max(deepest, depth);
    if (depth > limits::kNestingDepth)
      fail(at,
           "expressions are nested more than " + std::to_string(limits::kNestingDepth) + " deep");
  }

  [[noreturn]] static void fail(const wabt::Token &at, const std::string &message) {
    throw TextError(at.loc.line, at.loc.first_column, message);
  }

  [[noreturn]] static void malformed_segment(const wabt::Token &at, const char *expected) {
    fail(at, std::string("malformed element segment: expected ") + expected);
  }

  const wabt::Token &peek(size_t ahead = 0) {
    while (lookahead_.size() <= ahead) lookahead_.push_back(lex());
    return lookahead_[ahead];
  }

  wabt::Token take() {
    if (lookahead_.empty()) return lex();
    wabt::Token token = lookahead_.front();
    lookahead_.pop_front();
    return token;
  }

  // Annotations, (@name ...), are not WebAssembly 2.0; wabt 1.0.32 takes a
  // quoted name cut short by a newline for a string of negative length.
  wabt::Token lex() {
    wabt::Token token = lexer_->GetToken();
    if (token.token_type() == TokenType::LparAnn)
      fail(token, "annotations are not part of WebAssembly 2.0's text format");
    return token;
  }

  bool peek_is(TokenType type, size_t ahead = 0) { return peek(ahead).token_type() == type; }
  bool peek_is_var() { return peek_is(TokenType::Nat) || peek_is(TokenType::Var); }
  bool peek_opens(TokenType keyword) { return peek_is(TokenType::Lpar) && peek_is(keyword, 1); }

  void expect(TokenType type, const char *expected) {
    wabt::Token token = take();
    if (token.token_type() != type) malformed_segment(token, expected);
  }

  void expect_var() {
    wabt::Token token = take();
    if (token.token_type() != TokenType::Nat && token.token_type() != TokenType::Var)
      malformed_segment(token, "an index or a $name");
  }

  // After "(elem": through its closing parenthesis.
  void elem_segment(bool in_table) {
    if (in_table) {
      // (table ... (elem elem-expr*)) or (table ... (elem index*))
      if (peek_is(TokenType::Lpar))
        while (peek_is(TokenType::Lpar)) elem_expression();
      else
        while (peek_is_var()) take();
      expect(TokenType::Rpar, "an element, or the segment's end");
      return;
    }
    if (peek_is(TokenType::Var)) take();  // the segment's $name
    bool declared = peek_is(TokenType::Declare);
    if (declared) take();
    if (peek_opens(TokenType::Table)) {
      take(), take();
      expect_var();
      expect(TokenType::Rpar, "the end of (table ...)");
    } else if (peek_is_var()) {
      take();  // the table, in the 1.0 syntax
    }
    if (!declared && peek_is(TokenType::Lpar)) {
      if (peek_is(TokenType::Offset, 1)) {
        take(), take();
        constant_instructions();
      } else {
        take();
        folded_constant();
      }
    }
    if (peek_is(TokenType::ValueType)) {
      // Only a reference type: wabt 1.0.32 takes (elem f32) and writes a
      // binary with it, which no reader accepts (found by fuzzing).
      wabt::Token type = take();
      if (!type.type().IsRef()) malformed_segment(type, "funcref, externref or func");
      while (peek_is(TokenType::Lpar)) elem_expression();
    } else {
      if (peek_is(TokenType::Func)) take();
      while (peek_is_var()) take();
    }
    expect(TokenType::Rpar, "an element, or the segment's end");
  }

  // (item instr+) or (instr)
  void elem_expression() {
    take();  // (
    if (peek_is(TokenType::Item)) {
      take();
      constant_instructions();
    } else {
      folded_constant();
    }
  }

  // One or more constant instructions, plain or folded, and a ")".
  void constant_instructions() {
    do {
      if (peek_is(TokenType::Lpar)) {
        take();
        folded_constant();
      } else {
        constant_instruction();
      }
    } while (!peek_is(TokenType::Rpar));
    take();
  }

  // After "(": one constant instruction and its ")".
  void folded_constant() {
    constant_instruction();
    expect(TokenType::Rpar, "the end of a constant instruction");
  }

  void constant_instruction() {
    static constexpr const char *kExpected =
        "a constant instruction (ref.null, ref.func, global.get or i32.const)";
    wabt::Token token = take();
    switch (token.token_type()) {
      case TokenType::RefNull: {
        wabt::Token kind = take();
        if (kind.token_type() != TokenType::Func && kind.token_type() != TokenType::Extern)
          malformed_segment(kind, "func or extern");
        return;
      }
      case TokenType::RefFunc:
      case TokenType::GlobalGet: expect_var(); return;
      case TokenType::Const: {
        if (token.opcode() != wabt::Opcode::I32Const) malformed_segment(token, kExpected);
        wabt::Token value = take();
        uint32_t parsed;
        if ((value.token_type() != TokenType::Nat && value.token_type() != TokenType::Int) ||
            wabt::Failed(wabt::ParseInt32(value.literal().text, &parsed,
                                          wabt::ParseIntType::SignedAndUnsigned)))
          malformed_segment(value, "a 32-bit integer");
        return;
      }
      default: malformed_segment(token, kExpected);
    }
  }

  wabt::Errors errors_;
  std::unique_ptr<wabt::WastLexer> lexer_;
  std::deque<wabt::Token> lookahead_;
};

}  // namespace

uint32_t precheck_text(std::string_view wat) {
  return Precheck(wat).run();
}

}  // namespace pgwasm::toolkit
