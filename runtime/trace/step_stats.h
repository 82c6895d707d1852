// Per-step timing of a ring pass from a rank's timeline: compute time, communication
// time and the time the compute stream waited, for each (pass, step). It reads the span
// labels the ring executor and the communicators write:
//   compute stream  "fwd step 3", "bwd step 3 skipped", then "wait" spans (attributed to
//                   the step they follow)
//   comm stream     "fwd kv hop 4", "bwd dkv hop 4", "bwd dkv return hop 4" — hop h is
//                   posted during step h - 1
#pragma once

#include <string>
#include <vector>

#include "runtime/trace/timeline.h"

namespace ra::trace {

struct StepStats {
  std::string pass;  // "fwd" or "bwd"
  int step = 0;
  bool computed = false;
  double compute_seconds = 0, comm_seconds = 0, wait_seconds = 0;
};

// Sums over every occurrence (e.g. several timed repetitions) of each (pass, step).
std::vector<StepStats> step_stats(const std::vector<TraceSpan>& spans, const std::string& compute_track,
                                  const std::string& comm_track);

}  // namespace ra::trace
