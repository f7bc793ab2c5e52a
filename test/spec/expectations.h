// The failures a run expects: assertions that cannot pass because of a
// documented limit of V8 10.2, listed in expectations.txt one per line as
//
//   <file>:<line>  <reason>
//
// where <line> is the line of the command in the .wast file (as the runner
// reports it), or '*' for every command of a file that an engine cannot run
// at all, and '#' starts a comment. A run fails on any failure that is
// not listed, and on any listed entry that does not fail, so that the list
// stays true.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace pgwasm::spec {

struct Expectation {
  std::string file;
  int line = 0;  // 0: every line of the file
  std::string reason;
  int list_line = 0;  // its own line in the list
};

class Expectations {
 public:
  // Throws std::runtime_error naming the first line it cannot read.
  static Expectations load(const std::filesystem::path &path);

  // The entry for a failure at file:line, or null.
  const Expectation *find(const std::string &file, int line) const;
  // Every entry, in list order.
  const std::vector<Expectation> &entries() const { return entries_; }

 private:
  std::vector<Expectation> entries_;
  std::map<std::pair<std::string, int>, size_t> index_;
};

}  // namespace pgwasm::spec
