#include "runtime/trace/timeline.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "comm/collectives.h"

namespace ra::trace {

void Timeline::reset_origin() {
  const std::lock_guard lock(mu_);
  origin_ = std::chrono::steady_clock::now();
  spans_.clear();
}

double Timeline::since_origin_us(std::chrono::steady_clock::time_point t) const {
  return std::chrono::duration<double, std::micro>(t - origin_).count();
}

void Timeline::on_span(const device::Span& span) {
  const std::lock_guard lock(mu_);
  const double b = since_origin_us(span.begin);
  const bool wait = span.kind == device::SpanKind::kWait;
  spans_.push_back(TraceSpan{std::string(span.stream), wait ? "wait" : std::string(span.label), b,
                             since_origin_us(span.end) - b, span.kind});
}

void Timeline::add(std::string track, std::string name, std::chrono::steady_clock::time_point begin,
                   std::chrono::steady_clock::time_point end) {
  const std::lock_guard lock(mu_);
  const double b = since_origin_us(begin);
  spans_.push_back(TraceSpan{std::move(track), std::move(name), b, since_origin_us(end) - b, device::SpanKind::kWork});
}

std::vector<TraceSpan> Timeline::spans() const {
  const std::lock_guard lock(mu_);
  return spans_;
}

void Timeline::clear() {
  const std::lock_guard lock(mu_);
  spans_.clear();
}

namespace {

nlohmann::json events_of(int rank, const std::vector<TraceSpan>& spans) {
  nlohmann::json events = nlohmann::json::array();
  std::vector<std::string> tracks;
  for (const auto& s : spans) {
    auto it = std::find(tracks.begin(), tracks.end(), s.track);
    const auto tid = static_cast<int>(it - tracks.begin());
    if (it == tracks.end()) {
      tracks.push_back(s.track);
      events.push_back(
          {{"ph", "M"}, {"name", "thread_name"}, {"pid", rank}, {"tid", tid}, {"args", {{"name", s.track}}}});
    }
    events.push_back({{"ph", "X"},
                      {"name", s.name},
                      {"cat", s.kind == device::SpanKind::kWait ? "wait" : "work"},
                      {"pid", rank},
                      {"tid", tid},
                      {"ts", s.begin_us},
                      {"dur", s.dur_us}});
  }
  events.push_back(
      {{"ph", "M"}, {"name", "process_name"}, {"pid", rank}, {"args", {{"name", "rank " + std::to_string(rank)}}}});
  return events;
}

}  // namespace

std::string gather_chrome_trace(comm::Communicator& comm, const Timeline& timeline) {
  // Every rank's events, in rank order (an all-gather: each rank's JSON has its own size).
  const std::vector<std::string> per_rank =
      comm::all_gather_strings(comm, events_of(comm.rank(), timeline.spans()).dump());
  if (comm.rank() != 0) return {};
  nlohmann::json all = nlohmann::json::array();
  for (const std::string& text : per_rank) {
    for (auto& e : nlohmann::json::parse(text)) all.push_back(std::move(e));
  }
  return nlohmann::json{{"traceEvents", all}, {"displayTimeUnit", "ms"}}.dump() + "\n";
}

}  // namespace ra::trace
