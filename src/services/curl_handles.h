// Owning handles for libcurl's objects, so that every exit path of a
// transfer (errors, cancels, limits) frees what it made.
#pragma once

#include <curl/curl.h>

#include <memory>

namespace pgwasm::services::curl {

struct EasyDeleter {
  void operator()(CURL *h) const { curl_easy_cleanup(h); }
};
struct MultiDeleter {
  void operator()(CURLM *h) const { curl_multi_cleanup(h); }
};
struct SlistDeleter {
  void operator()(curl_slist *l) const { curl_slist_free_all(l); }
};
struct UrlDeleter {
  void operator()(CURLU *u) const { curl_url_cleanup(u); }
};
struct StringDeleter {
  void operator()(char *s) const { curl_free(s); }
};

using Easy = std::unique_ptr<CURL, EasyDeleter>;
using Multi = std::unique_ptr<CURLM, MultiDeleter>;
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;
using Url = std::unique_ptr<CURLU, UrlDeleter>;
using String = std::unique_ptr<char, StringDeleter>;

// An easy handle added to a multi handle for as long as this lives: a
// handle must leave its multi before either is cleaned up.
class Attached {
 public:
  Attached(CURLM *multi, CURL *easy) : multi_(multi), easy_(easy) {
    if (curl_multi_add_handle(multi_, easy_) != CURLM_OK) multi_ = nullptr;
  }
  ~Attached() {
    if (multi_ != nullptr) curl_multi_remove_handle(multi_, easy_);
  }
  Attached(const Attached &) = delete;
  Attached &operator=(const Attached &) = delete;
  bool ok() const { return multi_ != nullptr; }

 private:
  CURLM *multi_;
  CURL *easy_;
};

}  // namespace pgwasm::services::curl
