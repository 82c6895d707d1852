// CPU streams and events with CUDA semantics: in-order execution, cross-stream ordering
// through events, failure propagation (a failed stream poisons the streams that wait on
// it instead of leaving them blocked), and the spans reported to an observer.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

#include "runtime/core/error.h"
#include "runtime/device/cpu/cpu_device.h"
#include "runtime/device/cpu/cpu_event.h"
#include "runtime/device/cpu/cpu_stream.h"

namespace ra::device {
namespace {

using std::chrono::milliseconds;

TEST(CpuStream, RunsWorkInLaunchOrder) {
  cpu::CpuDevice dev;
  auto s = dev.create_stream("s");
  std::vector<int> order;
  for (int i = 0; i < 100; ++i) s->launch("w", [&order, i] { order.push_back(i); });
  s->synchronize();
  ASSERT_EQ(order.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(order[static_cast<std::size_t>(i)], i);
}

TEST(CpuStream, EventOrdersWorkAcrossStreams) {
  cpu::CpuDevice dev;
  auto a = dev.create_stream("a");
  auto b = dev.create_stream("b");
  auto e = dev.create_event();
  for (int round = 0; round < 20; ++round) {
    std::atomic<int> x{0};
    int seen = -1;
    a->launch("slow write", [&] {
      std::this_thread::sleep_for(milliseconds(2));
      x = 1;
    });
    a->record(*e);
    b->wait(*e);
    b->launch("read", [&] { seen = x.load(); });
    b->synchronize();
    EXPECT_EQ(seen, 1) << "round " << round;
    a->synchronize();
  }
}

TEST(CpuStream, WaitTargetsTheRecordIssuedBeforeIt) {
  cpu::CpuDevice dev;
  auto a = dev.create_stream("a");
  auto b = dev.create_stream("b");
  auto e = dev.create_event();
  b->wait(*e);  // never recorded: nothing to wait for (CUDA semantics)
  bool ran = false;
  b->launch("w", [&] { ran = true; });
  b->synchronize();
  EXPECT_TRUE(ran);
}

// A wait holds the record issued before it: a later record (here on another, idle
// stream) must neither release it early nor make it wait for work recorded afterwards.
TEST(CpuStream, AWaitIsNotReleasedByALaterRecordOnAnotherStream) {
  cpu::CpuDevice dev;
  auto a = dev.create_stream("a");
  auto b = dev.create_stream("b");
  auto c = dev.create_stream("c");
  auto e = dev.create_event();
  std::atomic<int> a_done{0};
  int seen = -1;
  a->launch("slow", [&] {
    std::this_thread::sleep_for(milliseconds(30));
    a_done = 1;
  });
  a->record(*e);
  c->wait(*e);
  b->record(*e);  // b is idle: this record completes at once
  c->launch("read", [&] { seen = a_done.load(); });
  c->synchronize();
  EXPECT_EQ(seen, 1) << "the wait was released by b's later record";
  a->synchronize();
  b->synchronize();
}

TEST(CpuStream, AWaitDoesNotWaitForARecordIssuedAfterIt) {
  cpu::CpuDevice dev;
  auto a = dev.create_stream("a");
  auto c = dev.create_stream("c");
  auto e = dev.create_event();
  a->record(*e);  // completes at once
  c->wait(*e);
  std::atomic<bool> release{false};
  a->launch("blocked", [&] {
    while (!release) std::this_thread::sleep_for(milliseconds(1));
  });
  a->record(*e);  // behind the blocked work
  bool ran = false;
  c->launch("after wait", [&] { ran = true; });
  c->synchronize();  // must not block on the second record
  EXPECT_TRUE(ran);
  release = true;
  a->synchronize();
}

TEST(CpuStream, FailurePoisonsTheStreamAndTheStreamsWaitingOnIt) {
  cpu::CpuDevice dev;
  auto a = dev.create_stream("a");
  auto b = dev.create_stream("b");
  auto e = dev.create_event();
  bool after_failure_ran = false, waiter_ran = false;
  a->launch("fails", [] { throw PeerError("peer rank 3 vanished"); });
  a->launch("skipped", [&] { after_failure_ran = true; });
  a->record(*e);
  b->wait(*e);
  b->launch("skipped too", [&] { waiter_ran = true; });
  EXPECT_THROW(b->synchronize(), PeerError);
  EXPECT_THROW(a->synchronize(), PeerError);
  EXPECT_THROW(e->synchronize(), PeerError);
  EXPECT_FALSE(after_failure_ran);
  EXPECT_FALSE(waiter_ran);
}

TEST(CpuStream, DestructorDrainsTheQueue) {
  std::atomic<int> done{0};
  {
    cpu::CpuDevice dev;
    auto s = dev.create_stream("s");
    for (int i = 0; i < 10; ++i) s->launch("w", [&] { ++done; });
  }
  EXPECT_EQ(done.load(), 10);
}

class Recorder final : public StreamObserver {
 public:
  void on_span(const Span& span) override {
    const std::lock_guard lock(mu);
    spans.push_back({std::string(span.stream), std::string(span.label), span.kind == SpanKind::kWait,
                     std::chrono::duration<double>(span.end - span.begin).count()});
  }
  struct Row {
    std::string stream, label;
    bool waited;
    double seconds;
  };
  std::mutex mu;
  std::vector<Row> spans;
};

TEST(CpuStream, ObserverSeesWorkAndWaits) {
  Recorder rec;
  cpu::CpuDevice dev;
  dev.set_observer(&rec);
  auto a = dev.create_stream("compute");
  auto b = dev.create_stream("comm");
  auto e = dev.create_event();
  b->launch("transfer", [] { std::this_thread::sleep_for(milliseconds(30)); });
  b->record(*e);
  a->wait(*e);
  a->launch("step 0", [] {});
  a->synchronize();
  b->synchronize();
  bool saw_wait = false, saw_transfer = false;
  for (const auto& r : rec.spans) {
    if (r.stream == "compute" && r.waited) {
      saw_wait = true;
      EXPECT_GE(r.seconds, 0.020) << "the compute stream waited for the transfer";
    }
    if (r.stream == "comm" && r.label == "transfer") saw_transfer = true;
  }
  EXPECT_TRUE(saw_wait);
  EXPECT_TRUE(saw_transfer);
}

// The hooks the CUDA device's host-worker streams order themselves with (events of
// another kind): a completion recorded in stream order, a wait on any blocking function.
TEST(CpuStream, RecordCompletionAndWaitUntilForForeignEvents) {
  Recorder rec;
  cpu::CpuStream s("host", &rec);
  std::atomic<bool> release{false};
  bool after_ran = false;
  s.wait_until("foreign wait", [&] {
    while (!release) std::this_thread::sleep_for(milliseconds(1));
    return std::exception_ptr{};
  });
  s.launch("after", [&] { after_ran = true; });
  auto done = std::make_shared<cpu::Completion>();
  s.record_completion(done);
  EXPECT_FALSE(done->wait_for(std::chrono::microseconds(20000)).has_value()) << "held by the wait before it";
  EXPECT_FALSE(after_ran);
  release = true;
  const std::optional<std::exception_ptr> result = done->wait_for(std::chrono::seconds(10));
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(*result, nullptr);
  EXPECT_TRUE(after_ran);
  s.synchronize();
  bool saw = false;
  for (const auto& r : rec.spans) saw = saw || (r.label == "foreign wait" && r.waited);
  EXPECT_TRUE(saw) << "the foreign wait is reported as a wait span with its label";
}

TEST(CpuStream, AFailedForeignWaitPoisonsAndItsRecordsCarryTheFailure) {
  cpu::CpuStream s("host", nullptr);
  bool skipped_ran = false;
  s.wait_until("wait", [] { return std::make_exception_ptr(PeerError("the awaited work failed")); });
  s.launch("skipped", [&] { skipped_ran = true; });
  auto done = std::make_shared<cpu::Completion>();
  s.record_completion(done);
  const std::exception_ptr e = done->wait();
  ASSERT_NE(e, nullptr);
  EXPECT_THROW(std::rethrow_exception(e), PeerError);
  EXPECT_THROW(s.synchronize(), PeerError);
  EXPECT_FALSE(skipped_ran);
}

TEST(CpuDevice, HostStreamsRunOnTheirOwnThread) {
  cpu::CpuDevice dev;
  auto s = dev.create_host_stream("comm");
  std::thread::id ran_on;
  s->launch("where", [&] { ran_on = std::this_thread::get_id(); });
  s->synchronize();
  EXPECT_NE(ran_on, std::this_thread::get_id());
  EXPECT_EQ(s->name(), "comm");
}

TEST(CpuDevice, CopyZeroAddInStreamOrder) {
  cpu::CpuDevice dev;
  auto s = dev.create_stream("s");
  auto buf = dev.allocate(3 * 8 * sizeof(float));
  TensorView a = buf->view(DType::kF32, Shape{8}), b = buf->view(DType::kF32, Shape{8}, 32),
             c = buf->view(DType::kF32, Shape{8}, 64);
  s->launch("init", [&] {
    for (int i = 0; i < 8; ++i) a.data<float>()[i] = static_cast<float>(i), b.data<float>()[i] = 0.5f;
  });
  dev.copy(c, a, *s);
  dev.add_f32(c, b, *s);
  dev.fill_zero(a, *s);
  s->synchronize();
  for (int i = 0; i < 8; ++i) {
    EXPECT_EQ(c.data<float>()[i], static_cast<float>(i) + 0.5f);
    EXPECT_EQ(a.data<float>()[i], 0.0f);
  }
  EXPECT_THROW(buf->view(DType::kF32, Shape{8}, 72), InternalError);
}

}  // namespace
}  // namespace ra::device
