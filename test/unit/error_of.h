// The message of the exception of type E a piece of code throws, or
// "no error": so that a test can compare what was said.
#pragma once

#include <exception>
#include <functional>
#include <string>

namespace pgwasm::test {

template <typename E = std::exception>
std::string error_of(const std::function<void()> &fn) {
  try {
    fn();
  } catch (const E &e) {
    return e.what();
  }
  return "no error";
}

}  // namespace pgwasm::test
