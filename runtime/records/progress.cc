#include "runtime/records/progress.h"

#include <unistd.h>

namespace ra::records {

Progress::Progress(std::string what, long total, ProgressStyle style, std::FILE* out,
                   std::chrono::seconds plain_interval)
    : what_(std::move(what)),
      total_(total),
      style_(style),
      out_(out),
      plain_interval_(plain_interval),
      start_(std::chrono::steady_clock::now()),
      last_plain_(start_) {
  if (style_ == ProgressStyle::kAuto)
    style_ = ::isatty(::fileno(out_)) ? ProgressStyle::kTerminal : ProgressStyle::kPlain;
}

Progress::~Progress() {
  if (style_ == ProgressStyle::kTerminal && printed_) std::fputc('\n', out_);
}

std::string Progress::line(const std::string& what, long done, long total, double elapsed_s) {
  char buf[160];
  const double rate = elapsed_s > 0 ? static_cast<double>(done) / elapsed_s : 0.0;
  if (done > 0 && done < total && rate > 0) {
    std::snprintf(buf, sizeof buf, "%s %ld/%ld, %.2f/s, ETA %.1f s", what.c_str(), done, total, rate,
                  static_cast<double>(total - done) / rate);
  } else {
    std::snprintf(buf, sizeof buf, "%s %ld/%ld, %.1f s", what.c_str(), done, total, elapsed_s);
  }
  return buf;
}

void Progress::update(long done) {
  if (style_ == ProgressStyle::kOff) return;
  const auto now = std::chrono::steady_clock::now();
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  if (style_ == ProgressStyle::kTerminal) {
    std::fprintf(out_, "\r\033[K%s", line(what_, done, total_, elapsed).c_str());
    std::fflush(out_);
    printed_ = true;
    return;
  }
  if (done < total_ && now - last_plain_ < plain_interval_) return;
  last_plain_ = now;
  std::fprintf(out_, "%s\n", line(what_, done, total_, elapsed).c_str());
  std::fflush(out_);
}

}  // namespace ra::records
