#include "runtime/train/grad_buckets.h"

#include <algorithm>

#include "runtime/core/check.h"

namespace ra::train {

GradBuckets::GradBuckets(std::int64_t total_elems, std::int64_t bucket_elems)
    : total_elems_(total_elems), bucket_elems_(bucket_elems) {
  RA_CHECK_GE(InternalError, total_elems, 0, "gradient elements");
  RA_CHECK_GE(InternalError, bucket_elems, 0, "gradient bucket elements");
}

void GradBuckets::begin() {
  pending_ = {};
  done_.clear();
}

std::vector<GradRange> GradBuckets::ready(GradRange r) {
  RA_CHECK(InternalError, r.first_elem >= 0 && r.elems >= 0 && r.end_elem() <= total_elems_, "gradient range [",
           r.first_elem, ", ", r.end_elem(), ") outside [0, ", total_elems_, ")");
  for (const GradRange& d : done_) {
    RA_CHECK(InternalError, r.end_elem() <= d.first_elem || r.first_elem >= d.end_elem() || r.elems == 0,
             "gradient range [", r.first_elem, ", ", r.end_elem(), ") reported twice (overlaps [", d.first_elem, ", ",
             d.end_elem(), "))");
  }
  std::vector<GradRange> flush;
  if (r.elems == 0) return flush;
  done_.push_back(r);
  if (bucket_elems_ == 0) return flush;  // everything waits for finish()
  if (pending_.elems > 0 && r.end_elem() == pending_.first_elem) {
    pending_ = {r.first_elem, pending_.elems + r.elems};
  } else {
    if (pending_.elems > 0) flush.push_back(pending_);
    pending_ = r;
  }
  if (pending_.elems >= bucket_elems_) {
    flush.push_back(pending_);
    pending_ = {};
  }
  return flush;
}

std::vector<GradRange> GradBuckets::finish() {
  std::vector<GradRange> out;
  if (bucket_elems_ == 0) {
    if (total_elems_ > 0) out.push_back({0, total_elems_});
    return out;
  }
  const auto by_first = [](const GradRange& a, const GradRange& b) { return a.first_elem < b.first_elem; };
  std::vector<GradRange> rest;
  if (pending_.elems > 0) rest.push_back(pending_);
  pending_ = {};
  // The gaps between the reported ranges: what the backward finished without a word.
  std::vector<GradRange> reported = done_;
  std::sort(reported.begin(), reported.end(), by_first);
  std::int64_t at = 0;
  for (const GradRange& d : reported) {
    if (d.first_elem > at) rest.push_back({at, d.first_elem - at});
    at = std::max(at, d.end_elem());
  }
  if (at < total_elems_) rest.push_back({at, total_elems_ - at});
  // Adjoining ranges go as one (a model smaller than a bucket: one all-reduce in all).
  std::sort(rest.begin(), rest.end(), by_first);
  for (const GradRange& r : rest) {
    if (!out.empty() && out.back().end_elem() == r.first_elem) {
      out.back().elems += r.elems;
    } else {
      out.push_back(r);
    }
  }
  return out;
}

}  // namespace ra::train
