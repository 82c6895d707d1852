// A fresh directory from mkdtemp for a test's files, removed with everything in it when
// the test ends.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "runtime/core/input_file.h"

namespace ra::data::testing {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "ra_data_XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed for " + tmpl);
    dir_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;  // never throw from a destructor; a leftover is only a leftover
    std::filesystem::remove_all(dir_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string path(const std::string& name) const { return dir_ + "/" + name; }
  std::string write(const std::string& name, const std::string& bytes) const {
    std::ofstream(path(name), std::ios::binary | std::ios::trunc) << bytes;
    return path(name);
  }
  std::string read(const std::string& name) const { return read_input_file(path(name), {.role = "test file"}); }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
};

}  // namespace ra::data::testing
