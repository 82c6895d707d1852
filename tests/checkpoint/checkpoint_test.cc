// Checkpoints: bitwise round trips, keep_latest_k, every refusal naming what differs,
// a kill in the middle of a write (the previous checkpoint stays the latest and loads;
// the next write removes the dead writer's temporary directory), and unsafe roots.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "runtime/checkpoint/checkpoint.h"
#include "runtime/core/error.h"

namespace ra::checkpoint {
namespace {

namespace fs = std::filesystem;

class Checkpoints : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ra_ckpt_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    root_ = std::string(tmpl) + "/ckpt";
    for (std::size_t i = 0; i < weights_.size(); ++i) weights_[i] = 0.25f * static_cast<float>(i) - 3.0f;
    for (std::size_t i = 0; i < ids_.size(); ++i) ids_[i] = static_cast<std::int32_t>(i * 7);
  }
  void TearDown() override { fs::remove_all(fs::path(root_).parent_path()); }

  std::vector<NamedTensor> tensors() const {
    return {{"w", ConstTensorView(weights_.data(), DType::kF32, Shape{3, 4})},
            {"ids", ConstTensorView(ids_.data(), DType::kI32, Shape{5})},
            {"empty", ConstTensorView(weights_.data(), DType::kF32, Shape{0})}};
  }
  CheckpointMeta meta(std::uint64_t step) const { return {step, "hash-a", {4, 2, 2}, step, "rng"}; }
  LoadExpectations expect() const {
    return {"hash-a", {4, 2, 2}, {{"w", {DType::kF32, Shape{3, 4}}}, {"ids", {DType::kI32, Shape{5}}}, {"empty", {DType::kF32, Shape{0}}}}};
  }
  std::string error_of(const std::string& dir, const LoadExpectations& e) const {
    try {
      load_checkpoint(dir, e);
    } catch (const CheckpointError& x) {
      return x.what();
    }
    return "";
  }

  std::string root_;
  std::vector<float> weights_ = std::vector<float>(12);
  std::vector<std::int32_t> ids_ = std::vector<std::int32_t>(5);
};

TEST_F(Checkpoints, RoundTripIsBitwise) {
  const std::string dir = write_checkpoint(root_, meta(7), tensors(), {});
  EXPECT_EQ(dir, root_ + "/step-000000000007");
  EXPECT_EQ(latest_checkpoint(root_), dir);
  const LoadedCheckpoint c = load_checkpoint(dir, expect());
  EXPECT_EQ(c.meta.step, 7u);
  EXPECT_EQ(c.meta.data_position, 7u);
  EXPECT_EQ(c.meta.rng_state, "rng");
  EXPECT_EQ(std::memcmp(c.tensors.at("w").raw(), weights_.data(), 48), 0);
  EXPECT_EQ(std::memcmp(c.tensors.at("ids").raw(), ids_.data(), 20), 0);
  EXPECT_EQ(c.tensors.at("empty").size_bytes(), 0u);
  struct stat st {};
  ASSERT_EQ(::stat((dir + "/manifest.pb").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
}

TEST_F(Checkpoints, KeepsTheLatestK) {
  for (std::uint64_t s : {10u, 20u, 30u, 40u}) write_checkpoint(root_, meta(s), tensors(), {2, {}});
  EXPECT_FALSE(fs::exists(root_ + "/step-000000000010"));
  EXPECT_FALSE(fs::exists(root_ + "/step-000000000020"));
  EXPECT_TRUE(fs::exists(root_ + "/step-000000000030"));
  EXPECT_EQ(latest_checkpoint(root_), root_ + "/step-000000000040");
  EXPECT_THROW(write_checkpoint(root_, meta(40), tensors(), {}), CheckpointError) << "a step is written once";
}

TEST_F(Checkpoints, RefusalsNameWhatDiffers) {
  const std::string dir = write_checkpoint(root_, meta(5), tensors(), {});
  LoadExpectations e = expect();
  e.config_hash = "hash-b";
  EXPECT_NE(error_of(dir, e).find("config hash hash-a differs from this run's hash-b"), std::string::npos);
  e = expect();
  e.world = {2, 1, 2};
  EXPECT_NE(error_of(dir, e).find("written by a world 4 ranks (dp=2 sp=2), this run is a world 2 ranks (dp=1 sp=2)"),
            std::string::npos);
  e = expect();
  e.tensors["w"].shape = Shape{4, 3};
  EXPECT_NE(error_of(dir, e).find("tensor 'w' is f32 [3, 4], this model expects f32 [4, 3]"), std::string::npos)
      << error_of(dir, e);
  e = expect();
  e.tensors["bias"] = {DType::kF32, Shape{2}};
  EXPECT_NE(error_of(dir, e).find("tensor 'bias' is missing"), std::string::npos);
  e = expect();
  e.tensors.erase("ids");
  EXPECT_NE(error_of(dir, e).find("tensor 'ids' is not part of this model"), std::string::npos);
}

TEST_F(Checkpoints, CorruptAndTruncatedShardsAreRefused) {
  const std::string dir = write_checkpoint(root_, meta(5), tensors(), {});
  const std::string shard = dir + "/tensors-000.bin";
  {
    std::fstream f(shard, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(9);
    f.put('\x55');
  }
  EXPECT_NE(error_of(dir, expect()).find("tensor 'w' crc32 0x"), std::string::npos) << error_of(dir, expect());
  EXPECT_NE(error_of(dir, expect()).find("(the file is corrupt)"), std::string::npos);
  const std::string dir2 = write_checkpoint(root_, meta(6), tensors(), {});
  fs::resize_file(dir2 + "/tensors-000.bin", 50);
  EXPECT_NE(error_of(dir2, expect()).find("tensor 'ids' needs bytes [48, 68), the file has 50 (truncated)"),
            std::string::npos)
      << error_of(dir2, expect());
  fs::remove(dir + "/manifest.pb");
  fs::remove(dir2 + "/manifest.pb");
  EXPECT_EQ(latest_checkpoint(root_), std::nullopt) << "a directory without its manifest is not a checkpoint";
}

// A writer killed after its shard is durable but before the manifest and the rename.
TEST_F(Checkpoints, AKillDuringAWriteLeavesThePreviousCheckpointLoadable) {
  const std::string first = write_checkpoint(root_, meta(100), tensors(), {});
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    WriteOptions o;
    o.after_file = [](const std::string& name) {
      if (name == "tensors-000.bin") ::raise(SIGKILL);
    };
    write_checkpoint(root_, meta(200), tensors(), o);
    std::_Exit(0);  // not reached
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "the writer was not killed mid-write";
  bool stale = false;
  for (const auto& e : fs::directory_iterator(root_)) stale = stale || e.path().filename().string().find("-tmp-") != std::string::npos;
  EXPECT_TRUE(stale) << "the killed writer left its temporary directory";
  EXPECT_EQ(latest_checkpoint(root_), first);
  const LoadedCheckpoint c = load_checkpoint(first, expect());
  EXPECT_EQ(std::memcmp(c.tensors.at("w").raw(), weights_.data(), 48), 0);
  write_checkpoint(root_, meta(300), tensors(), {});
  for (const auto& e : fs::directory_iterator(root_))
    EXPECT_EQ(e.path().filename().string().find("-tmp-"), std::string::npos) << "stale " << e.path();
}

TEST_F(Checkpoints, AWorldWritableRootWithoutStickyBitIsRefused) {
  fs::create_directories(root_);
  ASSERT_EQ(::chmod(root_.c_str(), 0777), 0);
  try {
    write_checkpoint(root_, meta(1), tensors(), {});
    ADD_FAILURE() << "accepted a world-writable root";
  } catch (const CheckpointError& e) {
    EXPECT_NE(std::string(e.what()).find("world-writable without the sticky bit"), std::string::npos) << e.what();
  }
  ASSERT_EQ(::chmod(root_.c_str(), 01777), 0);
  EXPECT_NO_THROW(write_checkpoint(root_, meta(1), tensors(), {}));
}

}  // namespace
}  // namespace ra::checkpoint
