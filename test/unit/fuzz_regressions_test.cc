// Inputs the fuzz targets (test/fuzz) found crashing, each written as text or
// built by a generator: never an opaque binary. They run in a program of
// their own, so that one that still crashes fails this test alone.
#include <gtest/gtest.h>

#include "toolkit/binary.h"
#include "toolkit/text.h"

using namespace pgwasm;
using namespace pgwasm::toolkit;

// fuzz_text: wabt 1.0.32's text parser asserts (abort) on an element
// segment whose expression list holds an empty list `()`, where it expects
// an expression (wast-parser.cc:3083, ParseElemExprOpt calls ParseExpr
// without checking IsExpr first). A module text must get a TextError.
TEST(FuzzText, EmptyElemExpressionIsAnError) {
  EXPECT_THROW(assemble_wat("(module (elem funcref ()))"), TextError);
  // As found: a module field at the top level, cut short.
  EXPECT_THROW(assemble_wat("(elem funcref("), TextError);
}
