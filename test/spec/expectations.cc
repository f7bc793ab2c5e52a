#include "spec/expectations.h"

#include <fstream>
#include <stdexcept>

namespace pgwasm::spec {

static std::string trim(const std::string &s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return {};
  size_t e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

Expectations Expectations::load(const std::filesystem::path &path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  Expectations out;
  std::string raw;
  for (int n = 1; std::getline(in, raw); n++) {
    std::string text = trim(raw.substr(0, raw.find('#')));
    if (text.empty()) continue;
    auto bad = [&](const char *why) {
      return std::runtime_error(path.string() + ":" + std::to_string(n) + ": " + why);
    };
    size_t space = text.find_first_of(" \t");
    std::string where = text.substr(0, space);
    size_t colon = where.rfind(':');
    if (colon == std::string::npos || colon == 0) throw bad("expected <file>:<line> <reason>");
    Expectation e;
    e.file = where.substr(0, colon);
    std::string number = where.substr(colon + 1);
    if (number != "*") {  // '*': the whole file, line 0
      try {
        size_t used = 0;
        e.line = std::stoi(number, &used);
        if (used != number.size() || e.line <= 0) throw bad("bad line number");
      } catch (const std::logic_error &) {
        throw bad("bad line number");
      }
    }
    e.reason = space == std::string::npos ? std::string() : trim(text.substr(space));
    if (e.reason.empty()) throw bad("every entry needs its reason");
    e.list_line = n;
    if (!out.index_.emplace(std::make_pair(e.file, e.line), out.entries_.size()).second)
      throw bad("listed twice");
    out.entries_.push_back(std::move(e));
  }
  return out;
}

const Expectation *Expectations::find(const std::string &file, int line) const {
  auto it = index_.find({file, line});
  if (it == index_.end()) it = index_.find({file, 0});
  return it == index_.end() ? nullptr : &entries_[it->second];
}

}  // namespace pgwasm::spec
