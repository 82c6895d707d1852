// `ringattn bench`'s options from a resolved config: the bench itself and `ringattn plan
// --for bench` (which predicts what the bench will measure) read the config the same way.
#pragma once

#include "runtime/bench/ring_bench.h"
#include "runtime/config/ringattn_config.pb.h"

namespace ra::launch {

bench::RingBenchOptions bench_options(const config::RunConfig& c);

}  // namespace ra::launch
