// Progress of a long run on rank 0: on a terminal, one line rewritten in place with the
// rate and the ETA; off a terminal (a Slurm log), a plain line at most every
// `plain_interval`, and at the end — never a flood of carriage returns into a file.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace ra::records {

enum class ProgressStyle : std::uint8_t { kAuto, kTerminal, kPlain, kOff };

class Progress {
 public:
  Progress(std::string what, long total, ProgressStyle style = ProgressStyle::kAuto, std::FILE* out = stderr,
           std::chrono::seconds plain_interval = std::chrono::seconds(10));
  ~Progress();  // ends a terminal line
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void update(long done);

  // "rep 3/6, 1.2/s, ETA 2.5 s" — the text of one update (tested without a terminal).
  static std::string line(const std::string& what, long done, long total, double elapsed_s);

 private:
  std::string what_;
  long total_;
  ProgressStyle style_;
  std::FILE* out_;
  std::chrono::seconds plain_interval_;
  std::chrono::steady_clock::time_point start_, last_plain_;
  bool printed_ = false;
};

}  // namespace ra::records
