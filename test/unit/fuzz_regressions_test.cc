// Inputs the fuzz targets (test/fuzz) found crashing, each written as text or
// built by a generator: never an opaque binary. They run in a program of
// their own, so that one that still crashes fails this test alone.
#include <gtest/gtest.h>

#include "toolkit/binary.h"
#include "toolkit/text.h"

using namespace pgwasm;
using namespace pgwasm::toolkit;

// fuzz_text: wabt 1.0.32's text parser asserts (abort) on an element
// expression that opens a parenthesis with no instruction after it, such as
// the empty list `()`: ParseElemExprOpt calls ParseExpr without checking
// IsExpr first (wast-parser.cc:3083). Every kind of element segment reaches
// it, and a table's inline one too. A module text must get a TextError.
TEST(FuzzText, ElemExpressionWithoutInstructionIsAnError) {
  EXPECT_THROW(assemble_wat("(module (elem funcref ()))"), TextError);
  EXPECT_THROW(assemble_wat("(module (elem declare funcref (ref.func 0) ()) (func))"), TextError);
  EXPECT_THROW(assemble_wat("(module (table 1 funcref) (elem (i32.const 0) funcref (\"x\")))"),
               TextError);
  EXPECT_THROW(assemble_wat("(module (table funcref (elem ())))"), TextError);
  // As found: a module field at the top level, cut short.
  EXPECT_THROW(assemble_wat("(elem funcref("), TextError);
}
