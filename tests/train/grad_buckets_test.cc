// GradBuckets: the plan of the bucketed gradient all-reduce covers every gradient element
// exactly once per step, flushes a bucket as soon as it is full, and with bucket 0 is the
// one all-reduce of the whole vector after the backward.
#include "runtime/train/grad_buckets.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "runtime/core/error.h"

namespace ra::train {
namespace {

// Every element of [0, total) covered exactly once by the ranges.
void expect_exact_cover(const std::vector<GradRange>& ranges, std::int64_t total) {
  std::vector<int> covered(static_cast<std::size_t>(total), 0);
  for (const GradRange& r : ranges) {
    ASSERT_GT(r.elems, 0) << "empty bucket at " << r.first_elem;
    for (std::int64_t i = r.first_elem; i < r.end_elem(); ++i) covered[static_cast<std::size_t>(i)] += 1;
  }
  for (std::int64_t i = 0; i < total; ++i) {
    ASSERT_EQ(covered[static_cast<std::size_t>(i)], 1) << "element " << i << " of " << total;
  }
}

// A model-like layout: embed [0, 10), layers of 7 elements from 10, final norm and head after.
struct Layout {
  std::int64_t embed = 10, layer = 7, layers = 4, tail = 5;
  std::int64_t total() const { return embed + layer * layers + tail; }
  GradRange layer_range(std::int64_t l) const { return {embed + l * layer, layer}; }
};

std::vector<GradRange> run_step(GradBuckets& b, const Layout& lay, std::vector<GradRange>& early) {
  b.begin();
  std::vector<GradRange> all;
  for (std::int64_t l = lay.layers - 1; l >= 0; --l) {
    for (const GradRange& r : b.ready(lay.layer_range(l))) {
      early.push_back(r);
      all.push_back(r);
    }
  }
  for (const GradRange& r : b.finish()) all.push_back(r);
  return all;
}

TEST(GradBuckets, ZeroBucketIsOneReductionAfterTheBackward) {
  const Layout lay;
  GradBuckets b(lay.total(), 0);
  std::vector<GradRange> early;
  const std::vector<GradRange> all = run_step(b, lay, early);
  EXPECT_TRUE(early.empty());
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0], (GradRange{0, lay.total()}));
}

TEST(GradBuckets, OneElementBucketsReduceEachLayerAsItFinishes) {
  const Layout lay;
  GradBuckets b(lay.total(), 1);
  std::vector<GradRange> early;
  const std::vector<GradRange> all = run_step(b, lay, early);
  ASSERT_EQ(early.size(), 4u);
  for (std::int64_t k = 0; k < 4; ++k) EXPECT_EQ(early[static_cast<std::size_t>(k)], lay.layer_range(3 - k));
  // finish(): the embedding, then the final norm and head.
  ASSERT_EQ(all.size(), 6u);
  EXPECT_EQ(all[4], (GradRange{0, lay.embed}));
  EXPECT_EQ(all[5], (GradRange{lay.embed + lay.layer * lay.layers, lay.tail}));
  expect_exact_cover(all, lay.total());
}

TEST(GradBuckets, AdjoiningLayersMergeUntilTheBucketIsFull) {
  const Layout lay;
  GradBuckets b(lay.total(), 2 * lay.layer);  // two layers per bucket
  std::vector<GradRange> early;
  const std::vector<GradRange> all = run_step(b, lay, early);
  ASSERT_EQ(early.size(), 2u);
  EXPECT_EQ(early[0], (GradRange{lay.layer_range(2).first_elem, 2 * lay.layer}));  // layers 2, 3
  EXPECT_EQ(early[1], (GradRange{lay.layer_range(0).first_elem, 2 * lay.layer}));  // layers 0, 1
  expect_exact_cover(all, lay.total());
}

TEST(GradBuckets, APartialBucketIsReducedAtTheFinish) {
  const Layout lay;
  GradBuckets b(lay.total(), 3 * lay.layer);
  std::vector<GradRange> early;
  const std::vector<GradRange> all = run_step(b, lay, early);
  ASSERT_EQ(early.size(), 1u);
  EXPECT_EQ(early[0], (GradRange{lay.layer_range(1).first_elem, 3 * lay.layer}));
  // The pending layer 0 adjoins the embedding: one range; the final norm and head another.
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[1], (GradRange{0, lay.embed + lay.layer}));
  expect_exact_cover(all, lay.total());
}

TEST(GradBuckets, AModelSmallerThanABucketIsOneReduction) {
  const Layout lay;
  GradBuckets b(lay.total(), 1000);
  std::vector<GradRange> early;
  const std::vector<GradRange> all = run_step(b, lay, early);
  EXPECT_TRUE(early.empty());
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0], (GradRange{0, lay.total()}));
}

TEST(GradBuckets, ARangeThatDoesNotAdjoinFlushesThePendingBucket) {
  GradBuckets b(100, 50);
  b.begin();
  EXPECT_TRUE(b.ready({60, 10}).empty());
  const std::vector<GradRange> flushed = b.ready({20, 10});  // a gap: [30, 60) is not final
  ASSERT_EQ(flushed.size(), 1u);
  EXPECT_EQ(flushed[0], (GradRange{60, 10}));
  std::vector<GradRange> all = flushed;
  for (const GradRange& r : b.finish()) all.push_back(r);
  expect_exact_cover(all, 100);
}

TEST(GradBuckets, EveryStepStartsAfresh) {
  const Layout lay;
  GradBuckets b(lay.total(), 1);
  std::vector<GradRange> e1, e2;
  const std::vector<GradRange> s1 = run_step(b, lay, e1);
  const std::vector<GradRange> s2 = run_step(b, lay, e2);
  EXPECT_EQ(s1, s2);
}

TEST(GradBuckets, OverlappingOrOutOfRangeReportsAreBugs) {
  GradBuckets b(100, 10);
  b.begin();
  b.ready({10, 10});
  EXPECT_THROW(b.ready({15, 10}), InternalError);
  EXPECT_THROW(b.ready({95, 10}), InternalError);
  EXPECT_THROW(b.ready({-1, 2}), InternalError);
}

}  // namespace
}  // namespace ra::train
