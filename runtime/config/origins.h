// Where each configured value came from, by dotted key path ("attention.heads"), so
// that errors about a value can point at the line a user wrote.
#pragma once

#include <map>
#include <string>

namespace ra::config {

class Origins {
 public:
  void set(const std::string& key_path, std::string where) { where_[key_path] = std::move(where); }
  // "configs/a.yaml:3:5", "--set attention.heads=8", or "default".
  std::string of(const std::string& key_path) const {
    auto it = where_.find(key_path);
    return it == where_.end() ? "default" : it->second;
  }

 private:
  std::map<std::string, std::string> where_;
};

}  // namespace ra::config
