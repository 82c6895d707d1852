#include "runtime/trace/step_stats.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <utility>

namespace ra::trace {
namespace {

// "fwd step 3" / "bwd step 3 skipped" -> ("fwd", 3, computed?)
bool parse_step(const std::string& label, std::string& pass, int& step, bool& computed) {
  char p[8] = {0};
  int n = 0, consumed = 0;
  if (std::sscanf(label.c_str(), "%7s step %d%n", p, &n, &consumed) != 2) return false;
  pass = p;
  step = n;
  computed = label.find("skipped", static_cast<std::size_t>(consumed)) == std::string::npos;
  return pass == "fwd" || pass == "bwd";
}

// "fwd kv hop 4" -> ("fwd", 3); "bwd dkv return hop 4" -> ("bwd", 3)
bool parse_hop(const std::string& label, std::string& pass, int& step) {
  const std::size_t at = label.rfind(" hop ");
  if (at == std::string::npos || label.size() < 3) return false;
  pass = label.substr(0, 3);
  step = std::atoi(label.c_str() + at + 5) - 1;
  return pass == "fwd" || pass == "bwd";
}

}  // namespace

std::vector<StepStats> step_stats(const std::vector<TraceSpan>& spans, const std::string& compute_track,
                                  const std::string& comm_track) {
  std::map<std::pair<std::string, int>, StepStats> by_step;
  auto at = [&](const std::string& pass, int step) -> StepStats& {
    StepStats& s = by_step[{pass, step}];
    s.pass = pass;
    s.step = step;
    return s;
  };
  std::vector<TraceSpan> compute, comm;
  for (const TraceSpan& s : spans) {
    if (s.track == compute_track) compute.push_back(s);
    if (s.track == comm_track) comm.push_back(s);
  }
  auto by_begin = [](const TraceSpan& a, const TraceSpan& b) { return a.begin_us < b.begin_us; };
  std::sort(compute.begin(), compute.end(), by_begin);
  std::string pass;
  int step = -1;
  for (const TraceSpan& s : compute) {
    std::string p;
    int n = 0;
    bool computed = false;
    if (parse_step(s.name, p, n, computed)) {
      pass = p;
      step = n;
      StepStats& st = at(p, n);
      st.computed = st.computed || computed;
      st.compute_seconds += s.dur_us * 1e-6;
    } else if (s.kind == device::SpanKind::kWait && step >= 0) {
      at(pass, step).wait_seconds += s.dur_us * 1e-6;
    }
  }
  for (const TraceSpan& s : comm) {
    std::string p;
    int n = 0;
    if (s.kind == device::SpanKind::kWork && parse_hop(s.name, p, n) && n >= 0)
      at(p, n).comm_seconds += s.dur_us * 1e-6;
  }
  std::vector<StepStats> out;
  for (const auto& [key, st] : by_step) {
    if (key.first == "fwd") out.push_back(st);
  }
  for (const auto& [key, st] : by_step) {
    if (key.first == "bwd") out.push_back(st);
  }
  return out;
}

}  // namespace ra::trace
