// Checkpoints: bitwise round trips (one shard and several), keep_latest_k, every refusal
// naming what differs, a writer SIGKILLed at each moment of a write (the previous
// checkpoint stays the latest and loads; the next write removes what the dead writer
// left), planted symlinks, unsafe roots.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "runtime/checkpoint/checkpoint.h"
#include "runtime/checkpoint/checkpoint.pb.h"
#include "runtime/checkpoint/file_io.h"
#include "runtime/checkpoint/manifest.h"
#include "runtime/core/error.h"

namespace ra::checkpoint {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr const char* kHash = "a1b2c3d4e5f60718";
const WorldLayout kWorld{4, 2, 2};

// The tensors of a checkpoint, kept by the test to compare bit for bit. Float payloads
// include NaNs with payloads, -0 and subnormals: a round trip must not normalize them.
struct Model {
  std::vector<std::uint32_t> w_bits = std::vector<std::uint32_t>(12);  // f32 [3, 4], as raw bits
  std::vector<std::int32_t> ids = std::vector<std::int32_t>(5);        // i32 [5]
  std::vector<std::uint16_t> half = std::vector<std::uint16_t>(6);     // bf16 [2, 3]
  std::vector<std::uint32_t> big;                                      // f32 [n], random bits (optional)

  explicit Model(std::size_t big_elems = 0, std::uint32_t seed = 1) : big(big_elems) {
    std::mt19937 mt(seed);
    const auto rng = [&mt] { return static_cast<std::uint32_t>(mt()); };
    for (auto& b : w_bits) b = rng();
    w_bits[0] = 0x7fc00001u;  // NaN with a payload
    w_bits[1] = 0x80000000u;  // -0
    w_bits[2] = 0x00000001u;  // the smallest subnormal
    for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<std::int32_t>(rng()) - 7;
    for (auto& h : half) h = static_cast<std::uint16_t>(rng());
    for (auto& b : big) b = rng();
  }

  std::vector<NamedTensor> tensors() const {
    std::vector<NamedTensor> t{{"layers.0.wq", ConstTensorView(w_bits.data(), DType::kF32, Shape{3, 4})},
                               {"ids", ConstTensorView(ids.data(), DType::kI32, Shape{5})},
                               {"half", ConstTensorView(half.data(), DType::kBF16, Shape{2, 3})},
                               {"empty", ConstTensorView(nullptr, DType::kF32, Shape{0, 8})}};
    if (!big.empty())
      t.push_back({"big", ConstTensorView(big.data(), DType::kF32, Shape{static_cast<std::int64_t>(big.size())})});
    return t;
  }

  LoadExpectations expect() const {
    LoadExpectations e{kHash, kWorld, {}};
    for (const NamedTensor& t : tensors()) e.tensors[t.name] = {t.data.dtype(), t.data.shape()};
    return e;
  }

  // Every tensor, bit for bit, and nothing else.
  void expect_same_as(const LoadedCheckpoint& c) const {
    const std::vector<NamedTensor> mine = tensors();
    ASSERT_EQ(c.tensors.size(), mine.size());
    for (const NamedTensor& t : mine) {
      const HostBuffer& b = c.tensors.at(t.name);
      ASSERT_EQ(b.size_bytes(), t.data.size_bytes()) << t.name;
      if (b.size_bytes() > 0) {
        EXPECT_EQ(std::memcmp(b.raw(), t.data.raw(), b.size_bytes()), 0) << t.name;
      }
    }
  }
};

CheckpointMeta meta_of_step(std::uint64_t step) {
  return {step, kHash, kWorld, step * 3, std::string("rng\0state", 9), std::string("\xff\x00x", 3)};
}

std::set<std::string> names_in(const std::string& dir) {
  std::set<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.insert(e.path().filename().string());
  return names;
}

std::vector<std::string> tmp_dirs_in(const std::string& root) {
  std::vector<std::string> out;
  for (const std::string& n : names_in(root))
    if (n.rfind(".tmp-", 0) == 0) out.push_back(root + "/" + n);
  return out;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string s(static_cast<std::size_t>(fs::file_size(path)), '\0');
  in.read(s.data(), static_cast<std::streamsize>(s.size()));
  return s;
}

void flip_byte(const std::string& path, std::streamoff at) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(at);
  const char c = static_cast<char>(f.get());
  f.seekp(at);
  f.put(static_cast<char>(c ^ 0x10));
}

class Checkpoints : public ::testing::Test {
 protected:
  void SetUp() override {
    ::umask(022);  // the modes checked below are the library's, before a umask
    char tmpl[] = "/tmp/ra_ckpt_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    base_ = tmpl;
    root_ = base_ + "/ckpt";  // not created: the first write creates it
  }
  void TearDown() override {
    std::error_code ec;
    fs::permissions(root_, fs::perms::owner_all, fs::perm_options::add, ec);
    fs::remove_all(base_);
  }

  // The refusal's message; fails the test if the load succeeds or throws anything else.
  static std::string refusal(const std::string& dir, const LoadExpectations& e) {
    try {
      load_checkpoint(dir, e);
    } catch (const CheckpointError& x) {
      EXPECT_EQ(exit_status(x), 5);
      const std::string what = x.what();
      EXPECT_EQ(what.find('\n'), std::string::npos) << "one line: " << what;
      return what;
    }
    ADD_FAILURE() << dir << " loaded";
    return "";
  }

  std::string base_, root_;
  Model model_;
};

TEST_F(Checkpoints, RoundTripIsBitwise) {
  const Model m(3 * 1024 * 1024 / 4, 7);  // several MiB
  const std::string dir = write_checkpoint(root_ + "/", meta_of_step(7), m.tensors(), {});
  EXPECT_EQ(dir, root_ + "/step-000000000007");
  EXPECT_EQ(latest_checkpoint(root_), dir);
  EXPECT_EQ(names_in(dir), (std::set<std::string>{"manifest.pb", "tensors-000.bin"}));
  EXPECT_EQ(names_in(root_), (std::set<std::string>{"step-000000000007"})) << "no temporary directory left";

  const LoadedCheckpoint c = load_checkpoint(dir, m.expect());
  m.expect_same_as(c);
  EXPECT_EQ(c.meta.step, 7u);
  EXPECT_EQ(c.meta.config_hash, kHash);
  EXPECT_EQ(c.meta.world, kWorld);
  EXPECT_EQ(c.meta.data_position, 21u);
  EXPECT_EQ(c.meta.rng_state, std::string("rng\0state", 9));
  EXPECT_EQ(c.meta.extra, std::string("\xff\x00x", 3));

  struct stat st {};
  for (const char* f : {"/manifest.pb", "/tensors-000.bin"}) {
    ASSERT_EQ(::stat((dir + f).c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0644u) << f;
  }
  ASSERT_EQ(::stat(dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u);
}

TEST_F(Checkpoints, ALargeModelSpreadsOverShardsAndRoundTrips) {
  const Model m(300000, 3);  // 1.2 MB: a shard to itself
  WriteOptions o;
  o.shard_max_bytes = 64;  // layers.0.wq (48 bytes) alone; ids + half (32 bytes) together
  const std::string dir = write_checkpoint(root_, meta_of_step(1), m.tensors(), o);
  EXPECT_EQ(names_in(dir),
            (std::set<std::string>{"manifest.pb", "tensors-000.bin", "tensors-001.bin", "tensors-002.bin"}));
  EXPECT_EQ(fs::file_size(dir + "/tensors-000.bin"), 48u);
  EXPECT_EQ(fs::file_size(dir + "/tensors-001.bin"), 32u);
  EXPECT_EQ(fs::file_size(dir + "/tensors-002.bin"), 1200000u);
  m.expect_same_as(load_checkpoint(dir, m.expect()));
}

TEST_F(Checkpoints, KeepsTheLatestK) {
  for (std::uint64_t s : {10u, 20u, 30u, 40u}) write_checkpoint(root_, meta_of_step(s), model_.tensors(), {2, {}});
  EXPECT_EQ(names_in(root_), (std::set<std::string>{"step-000000000030", "step-000000000040"}));
  write_checkpoint(root_, meta_of_step(50), model_.tensors(), {1, {}});
  EXPECT_EQ(names_in(root_), (std::set<std::string>{"step-000000000050"}));
  EXPECT_EQ(scan_checkpoints(root_).complete, std::vector<std::string>{root_ + "/step-000000000050"});
}

TEST_F(Checkpoints, NeverRemovesTheCheckpointJustWritten) {
  write_checkpoint(root_, meta_of_step(200), model_.tensors(), {1, {}});
  // An older step written after a newer one (a fresh run in an old directory): kept
  // beside the newest.
  write_checkpoint(root_, meta_of_step(50), model_.tensors(), {1, {}});
  EXPECT_EQ(names_in(root_), (std::set<std::string>{"step-000000000050", "step-000000000200"}));
  EXPECT_EQ(latest_checkpoint(root_), root_ + "/step-000000000200");
}

TEST_F(Checkpoints, AStepIsWrittenOnce) {
  const std::string dir = write_checkpoint(root_, meta_of_step(40), model_.tensors(), {});
  const Model other(0, 99);
  try {
    write_checkpoint(root_, meta_of_step(40), other.tensors(), {});
    ADD_FAILURE() << "replaced a checkpoint";
  } catch (const CheckpointError& e) {
    EXPECT_THAT(e.what(), StartsWith(dir + ": a checkpoint of step 40 exists already; refusing to replace it"));
  }
  model_.expect_same_as(load_checkpoint(dir, model_.expect()));
  EXPECT_TRUE(tmp_dirs_in(root_).empty());
}

TEST_F(Checkpoints, BadArgumentsAreUsageErrors) {
  std::vector<NamedTensor> t = model_.tensors();
  EXPECT_THROW(write_checkpoint(root_, meta_of_step(1), t, {0, {}}), UsageError) << "keep_latest_k 0";
  t.push_back(t.front());
  EXPECT_THROW(write_checkpoint(root_, meta_of_step(1), t, {}), UsageError) << "a name twice";
  t = model_.tensors();
  t[0].name.clear();
  EXPECT_THROW(write_checkpoint(root_, meta_of_step(1), t, {}), UsageError) << "no name";
  t = model_.tensors();
  t[0].data = ConstTensorView(model_.w_bits.data(), DType::kF32, Shape{3, 4}, DeviceKind::kCuda);
  EXPECT_THROW(write_checkpoint(root_, meta_of_step(1), t, {}), UsageError) << "device memory";
  t = model_.tensors();
  t[0].data = ConstTensorView(nullptr, DType::kF32, Shape{3, 4});
  EXPECT_THROW(write_checkpoint(root_, meta_of_step(1), t, {}), UsageError) << "no data";
  EXPECT_FALSE(fs::exists(root_)) << "arguments are checked before anything is written";
}

TEST_F(Checkpoints, RefusesAnotherConfigHash) {
  const std::string dir = write_checkpoint(root_, meta_of_step(100), model_.tensors(), {});
  LoadExpectations e = model_.expect();
  e.config_hash = "9f8e7d6c5b4a3921";
  EXPECT_THAT(refusal(dir, e),
              StartsWith(dir + ": config hash a1b2c3d4e5f60718 differs from this run's 9f8e7d6c5b4a3921 "
                               "(the config changed: resume with the config"));
}

TEST_F(Checkpoints, RefusesAnotherWorldLayout) {
  const std::string dir = write_checkpoint(root_, meta_of_step(100), model_.tensors(), {});
  LoadExpectations e = model_.expect();
  e.world = {2, 1, 2};
  EXPECT_THAT(refusal(dir, e),
              StartsWith(dir + ": world layout 4 ranks (dp=2 sp=2) differs from this run's 2 ranks (dp=1 sp=2)"));
}

// Another number of ranks changes the config hash too (it covers the parallel section):
// the world layout, what the user must change, is reported first.
TEST_F(Checkpoints, TheWorldLayoutIsCheckedBeforeTheConfigHash) {
  const std::string dir = write_checkpoint(root_, meta_of_step(100), model_.tensors(), {});
  LoadExpectations e = model_.expect();
  e.world = {1, 1, 1};
  e.config_hash = "9f8e7d6c5b4a3921";
  EXPECT_THAT(refusal(dir, e),
              StartsWith(dir + ": world layout 4 ranks (dp=2 sp=2) differs from this run's 1 rank (dp=1 sp=1)"));
}

TEST_F(Checkpoints, RefusesAnotherShapeOrDtype) {
  const std::string dir = write_checkpoint(root_, meta_of_step(100), model_.tensors(), {});
  LoadExpectations e = model_.expect();
  e.tensors["layers.0.wq"].shape = Shape{4, 3};
  EXPECT_EQ(refusal(dir, e),
            dir + ": tensor 'layers.0.wq' is f32 [3, 4] in the checkpoint, this run expects f32 [4, 3]");
  e = model_.expect();
  e.tensors["half"].dtype = DType::kF16;
  EXPECT_EQ(refusal(dir, e), dir + ": tensor 'half' is bf16 [2, 3] in the checkpoint, this run expects f16 [2, 3]");
}

TEST_F(Checkpoints, RefusesMissingAndUnexpectedTensors) {
  const std::string dir = write_checkpoint(root_, meta_of_step(100), model_.tensors(), {});
  LoadExpectations e = model_.expect();
  e.tensors["layers.1.wq"] = {DType::kF32, Shape{3, 4}};
  EXPECT_THAT(refusal(dir, e),
              StartsWith(dir + ": tensor 'layers.1.wq' expected by this run is missing from the checkpoint"));
  e = model_.expect();
  e.tensors.erase("ids");
  EXPECT_THAT(refusal(dir, e), StartsWith(dir + ": tensor 'ids' is in the checkpoint but not expected by this run"));
}

TEST_F(Checkpoints, RefusesAFlippedByte) {
  const std::string dir = write_checkpoint(root_, meta_of_step(100), model_.tensors(), {});
  flip_byte(dir + "/tensors-000.bin", 9);  // inside layers.0.wq, bytes [0, 48)
  const std::string why = refusal(dir, model_.expect());
  EXPECT_THAT(why, StartsWith(dir + "/tensors-000.bin: tensor 'layers.0.wq' crc32 0x"));
  EXPECT_THAT(why, HasSubstr(" differs from the manifest's 0x"));
  EXPECT_THAT(why, HasSubstr("(the file is corrupt)"));
}

TEST_F(Checkpoints, RefusesATruncatedShard) {
  const std::string dir = write_checkpoint(root_, meta_of_step(100), model_.tensors(), {});
  fs::resize_file(dir + "/tensors-000.bin", 50);  // ids lie at [48, 68)
  EXPECT_EQ(refusal(dir, model_.expect()),
            dir + "/tensors-000.bin: tensor 'ids' needs bytes [48, 68), the file has 50 (truncated)");
}

TEST_F(Checkpoints, RefusesAMissingShard) {
  const std::string dir = write_checkpoint(root_, meta_of_step(100), model_.tensors(), {});
  fs::remove(dir + "/tensors-000.bin");
  EXPECT_THAT(refusal(dir, model_.expect()), StartsWith(dir + "/tensors-000.bin: opening failed (No such file"));
}

TEST_F(Checkpoints, ADirectoryWithoutAReadableManifestIsNotACheckpoint) {
  const std::string first = write_checkpoint(root_, meta_of_step(100), model_.tensors(), {3, {}});
  const std::string second = write_checkpoint(root_, meta_of_step(200), model_.tensors(), {3, {}});
  const std::string third = write_checkpoint(root_, meta_of_step(300), model_.tensors(), {3, {}});
  fs::remove(third + "/manifest.pb");
  std::ofstream(second + "/manifest.pb", std::ios::binary | std::ios::trunc) << "\x01\x02garbage";
  const CheckpointScan scan = scan_checkpoints(root_);
  EXPECT_EQ(scan.latest(), first);
  ASSERT_EQ(scan.damaged.size(), 2u);
  EXPECT_THAT(scan.damaged[0].why, StartsWith(second + "/manifest.pb: not a checkpoint manifest"));
  EXPECT_THAT(scan.damaged[1].why, StartsWith(third + ": no readable manifest"));
  EXPECT_EQ(scan.damaged[0].step, 200u);
  EXPECT_EQ(scan.damaged[1].path, third);
  EXPECT_EQ(latest_checkpoint(root_), first);
  EXPECT_THAT(refusal(third, model_.expect()), StartsWith(third + ": no readable manifest"));
  // Retention counts and removes complete checkpoints only: the damaged ones stay for a
  // person to look at.
  write_checkpoint(root_, meta_of_step(400), model_.tensors(), {1, {}});
  EXPECT_EQ(names_in(root_), (std::set<std::string>{"step-000000000200", "step-000000000300", "step-000000000400"}));
}

TEST_F(Checkpoints, RefusesATamperedManifest) {
  const std::string dir = write_checkpoint(root_, meta_of_step(5), model_.tensors(), {});
  const std::string path = dir + "/manifest.pb";
  Manifest good;
  {
    std::ifstream in(path, std::ios::binary);
    ASSERT_TRUE(good.ParseFromIstream(&in));
  }
  // Rewritten as the writer writes (with the closing crc32): the checks after it are reached.
  const auto rewrite = [&](const Manifest& m) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << serialize_manifest(m, dir);
  };
  Manifest m = good;
  m.set_format_version(3);
  rewrite(m);
  EXPECT_THAT(refusal(dir, model_.expect()),
              StartsWith(path + ": manifest format version 3, this ringattn reads versions 1 to 2"));
  m = good;
  m.mutable_tensors(1)->set_file("../../victim");
  rewrite(m);
  EXPECT_THAT(refusal(dir, model_.expect()),
              StartsWith(dir + ": tensor 'ids' names the file '../../victim', which is not a shard"));
  m = good;
  *m.add_tensors() = good.tensors(0);
  rewrite(m);
  EXPECT_THAT(refusal(dir, model_.expect()), StartsWith(dir + ": tensor 'layers.0.wq' appears twice in the manifest"));
  m = good;
  m.mutable_tensors(0)->set_size_bytes(44);
  rewrite(m);
  EXPECT_THAT(refusal(dir, model_.expect()),
              StartsWith(dir + ": tensor 'layers.0.wq' has 44 bytes in the manifest, its shape needs 48"));
  // A checkpoint renamed to another step: skipped by the scan, refused by a load.
  rewrite(good);
  const std::string renamed = root_ + "/step-000000000009";
  fs::rename(dir, renamed);
  EXPECT_EQ(latest_checkpoint(root_), std::nullopt);
  EXPECT_THAT(refusal(renamed, model_.expect()),
              StartsWith(renamed + "/manifest.pb: the manifest is of step 5, the directory's name says 9"));
}

// Found by fuzz/manifest_fuzz (fuzz/regressions/manifest_fuzz/): manifest text went into
// the refusal unescaped, so a config hash, tensor name, dtype or shard name holding a
// newline made a message of several lines; and a string field that is not UTF-8 made
// protobuf print its own second line on stderr. The class: every manifest string a
// message shows is made printable, a shard name has no control characters, and a corrupt
// manifest is reported by one line.
TEST_F(Checkpoints, ManifestTextInARefusalIsOneLine) {
  const std::string dir = write_checkpoint(root_, meta_of_step(5), model_.tensors(), {});
  const std::string path = dir + "/manifest.pb";
  Manifest good;
  {
    std::ifstream in(path, std::ios::binary);
    ASSERT_TRUE(good.ParseFromIstream(&in));
  }
  const auto rewrite = [&](const Manifest& m) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << serialize_manifest(m, dir);
  };
  Manifest m = good;
  m.set_config_hash("a1b2\nc3d4\x1b[2J");
  rewrite(m);
  EXPECT_THAT(refusal(dir, model_.expect()), StartsWith(dir + ": config hash a1b2\\nc3d4\\x1b[2J differs"));
  m = good;
  m.mutable_tensors(0)->set_name("layers.0.wq\r\nx");
  rewrite(m);
  EXPECT_THAT(refusal(dir, model_.expect()),
              StartsWith(dir + ": tensor 'layers.0.wq\\r\\nx' is in the checkpoint but not expected"));
  m = good;
  m.mutable_tensors(0)->set_dtype("f32\n");
  rewrite(m);
  EXPECT_THAT(refusal(dir, model_.expect()), HasSubstr("' is f32\\n ["));
  m = good;
  m.mutable_tensors(0)->set_file("tensors-000.bin\n");  // a plain name, but not one the writer makes
  rewrite(m);
  EXPECT_THAT(refusal(dir, model_.expect()),
              StartsWith(dir + ": tensor 'layers.0.wq' names the file 'tensors-000.bin\\n', which is not a shard"));
  m = good;
  m.mutable_tensors(0)->set_file("tensors\x7f.bin");
  rewrite(m);
  EXPECT_THAT(refusal(dir, model_.expect()), HasSubstr("names the file 'tensors\\x7f.bin', which is not a shard"));
  // A string field that is not UTF-8 does not parse: one line from ringattn, nothing from
  // protobuf.
  m = good;
  m.mutable_tensors(0)->set_name("layers.\xff");
  rewrite(m);
  ::testing::internal::CaptureStderr();
  const std::string why = refusal(dir, model_.expect());
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
  EXPECT_THAT(why, StartsWith(path + ": not a checkpoint manifest ("));
}

// Every kind of damage to the newest checkpoint: refused by default with one line naming
// the entry and the rule it breaks; with kSetAside renamed aside (its bytes kept) so that
// the resume starts from the older checkpoint and the step can be written again.
enum class Damage { kManifestMissing, kGarbage, kTruncated, kEmpty, kSwapped, kFile, kSymlink };

struct DamageCase {
  Damage damage;
  const char* reason;  // what the refusal must say about the entry
};
void PrintTo(const DamageCase& c, std::ostream* os) { *os << c.reason; }

class DamagedNewest : public Checkpoints, public ::testing::WithParamInterface<DamageCase> {
 protected:
  // Damages `dir` (a complete checkpoint of step 200; `older` is that of step 100).
  static void damage(Damage d, const std::string& dir, const std::string& older) {
    const std::string manifest = dir + "/manifest.pb";
    switch (d) {
      case Damage::kManifestMissing: fs::remove(manifest); break;
      case Damage::kGarbage: std::ofstream(manifest, std::ios::binary | std::ios::trunc) << "\x01\x02garbage"; break;
      // Only the closing crc32 cut off: every record still parses (the hard case).
      case Damage::kTruncated: fs::resize_file(manifest, fs::file_size(manifest) - 5); break;
      case Damage::kEmpty: fs::resize_file(manifest, 0); break;
      case Damage::kSwapped:
        fs::copy_file(older + "/manifest.pb", manifest, fs::copy_options::overwrite_existing);
        break;
      case Damage::kFile:
        fs::remove_all(dir);
        std::ofstream(dir, std::ios::binary) << "not a directory";
        break;
      case Damage::kSymlink:
        fs::remove_all(dir);
        fs::create_directory_symlink(older, dir);  // a complete checkpoint behind it: still not ours
        break;
    }
  }
};

std::string damage_case_name(const ::testing::TestParamInfo<DamageCase>& info) {
  static const char* const kNames[] = {"ManifestMissing", "Garbage", "Truncated", "Empty",
                                       "Swapped",         "File",    "Symlink"};
  return kNames[static_cast<int>(info.param.damage)];
}

TEST_P(DamagedNewest, IsRefusedByDefaultNamingTheEntryAndTheRule) {
  const std::string older = write_checkpoint(root_, meta_of_step(100), model_.tensors(), {});
  const std::string newest = write_checkpoint(root_, meta_of_step(200), model_.tensors(), {});
  damage(GetParam().damage, newest, older);
  const std::set<std::string> before = names_in(root_);
  try {
    choose_resume_point(root_, DamagedPolicy::kRefuse);
    ADD_FAILURE() << "a damaged newest checkpoint was resumed past";
  } catch (const CheckpointError& e) {
    const std::string what = e.what();
    EXPECT_EQ(exit_status(e), 5);
    EXPECT_EQ(what.find('\n'), std::string::npos) << "one line: " << what;
    EXPECT_THAT(what, StartsWith("damaged checkpoint " + newest));
    EXPECT_THAT(what, HasSubstr(GetParam().reason));
    EXPECT_THAT(what, HasSubstr("Refusing to resume from the latest complete checkpoint " + older));
    EXPECT_THAT(what, HasSubstr("train.on_damaged_checkpoint=set_aside"));
  }
  EXPECT_EQ(names_in(root_), before) << "a refusal changes nothing";
}

TEST_P(DamagedNewest, IsSetAsideWhenTheUserOptsIn) {
  const std::string older = write_checkpoint(root_, meta_of_step(100), model_.tensors(), {});
  const std::string newest = write_checkpoint(root_, meta_of_step(200), model_.tensors(), {});
  damage(GetParam().damage, newest, older);
  const bool was_dir = fs::is_directory(fs::symlink_status(newest));
  const std::set<std::string> inside = was_dir ? names_in(newest) : std::set<std::string>{};
  const ResumePoint p = choose_resume_point(root_, DamagedPolicy::kSetAside);
  EXPECT_EQ(p.checkpoint, older);
  ASSERT_EQ(p.warnings.size(), 2u);
  EXPECT_THAT(p.warnings[0], StartsWith("damaged checkpoint " + newest));
  EXPECT_THAT(p.warnings[0], HasSubstr(GetParam().reason));
  EXPECT_THAT(p.warnings[0], HasSubstr("; set aside as " + newest + ".damaged-"));
  // Renamed, never deleted: the entry is there, of the same kind, with the same files.
  std::vector<std::string> aside;
  for (const std::string& n : names_in(root_))
    if (n.rfind("step-000000000200.damaged-", 0) == 0) aside.push_back(root_ + "/" + n);
  ASSERT_EQ(aside.size(), 1u) << "names: " << ::testing::PrintToString(names_in(root_));
  EXPECT_EQ(fs::is_symlink(aside[0]), GetParam().damage == Damage::kSymlink);
  if (was_dir) {
    EXPECT_EQ(names_in(aside[0]), inside);
  }
  EXPECT_FALSE(fs::exists(fs::symlink_status(newest)));
  // The redone step can be written again, and the set-aside entry is not a checkpoint.
  write_checkpoint(root_, meta_of_step(200), model_.tensors(), {});
  const CheckpointScan scan = scan_checkpoints(root_);
  EXPECT_EQ(scan.complete, (std::vector<std::string>{older, newest}));
  EXPECT_TRUE(scan.damaged.empty());
  EXPECT_TRUE(fs::exists(fs::symlink_status(aside[0]))) << "retention leaves what was set aside";
}

INSTANTIATE_TEST_SUITE_P(
    Checkpoints, DamagedNewest,
    ::testing::Values(DamageCase{Damage::kManifestMissing, "step-000000000200: no readable manifest"},
                      DamageCase{Damage::kGarbage, "step-000000000200/manifest.pb: not a checkpoint manifest"},
                      DamageCase{Damage::kTruncated,
                                 "step-000000000200/manifest.pb: the manifest is truncated or corrupt"},
                      DamageCase{Damage::kEmpty, "step-000000000200/manifest.pb: not a checkpoint manifest (0 bytes"},
                      DamageCase{Damage::kSwapped, "the manifest is of step 100, the directory's name says 200"},
                      DamageCase{Damage::kFile, "step-000000000200: a file, not a checkpoint directory"},
                      DamageCase{Damage::kSymlink, "step-000000000200: a symbolic link, not a checkpoint directory"}),
    damage_case_name);

TEST_F(Checkpoints, ADamagedEntryWithoutAnyCompleteCheckpointIsRefusedToo) {
  const std::string only = write_checkpoint(root_, meta_of_step(100), model_.tensors(), {});
  fs::remove(only + "/manifest.pb");
  EXPECT_THROW(
      {
        try {
          choose_resume_point(root_, DamagedPolicy::kRefuse);
        } catch (const CheckpointError& e) {
          EXPECT_THAT(e.what(), HasSubstr("Refusing to resume from step 0 (no complete checkpoint)"));
          throw;
        }
      },
      CheckpointError);
  const ResumePoint p = choose_resume_point(root_, DamagedPolicy::kSetAside);
  EXPECT_EQ(p.checkpoint, std::nullopt);
  EXPECT_TRUE(scan_checkpoints(root_).empty());
}

TEST_F(Checkpoints, ADamagedEntryOlderThanTheLatestIsWarnedAboutAndKept) {
  const std::string older = write_checkpoint(root_, meta_of_step(100), model_.tensors(), {});
  const std::string newest = write_checkpoint(root_, meta_of_step(200), model_.tensors(), {});
  fs::remove(older + "/manifest.pb");
  const ResumePoint p = choose_resume_point(root_, DamagedPolicy::kRefuse);
  EXPECT_EQ(p.checkpoint, newest);
  ASSERT_EQ(p.warnings.size(), 1u);
  EXPECT_THAT(p.warnings[0], StartsWith("damaged checkpoint " + older + ": no readable manifest"));
  EXPECT_THAT(p.warnings[0], HasSubstr("which is resumed; left for a person to look at"));
  EXPECT_TRUE(fs::exists(older));
}

TEST_F(Checkpoints, SettingAsideTwiceInOneSecondNeverReplaces) {
  const std::string dir = write_checkpoint(root_, meta_of_step(100), model_.tensors(), {});
  fs::remove(dir + "/manifest.pb");
  const std::string first = set_aside_damaged({100, dir, "test"});
  fs::create_directory(dir);
  const std::string second = set_aside_damaged({100, dir, "test"});
  EXPECT_NE(first, second);
  EXPECT_TRUE(fs::exists(first));
  EXPECT_TRUE(fs::exists(second));
}

// A manifest cut anywhere — also between two tensor records, where the rest still parses
// — or with any byte flipped is refused, never loaded as a smaller or different checkpoint.
TEST_F(Checkpoints, EveryTruncationAndEveryFlippedByteOfAManifestIsRefused) {
  const std::string dir = write_checkpoint(root_, meta_of_step(5), model_.tensors(), {});
  const std::string path = dir + "/manifest.pb";
  const std::string good = read_text(path);
  ASSERT_GT(good.size(), 20u);
  const auto write = [&](const std::string& bytes) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
  };
  for (std::size_t n = 0; n < good.size(); ++n) {
    write(good.substr(0, n));
    EXPECT_THROW(read_manifest(dir), CheckpointError) << "cut to " << n << " of " << good.size() << " bytes";
  }
  write(good.substr(0, good.size() - 5));  // exactly the closing crc32: every record still parses
  EXPECT_THAT(refusal(dir, model_.expect()), StartsWith(path + ": the manifest is truncated or corrupt (" +
                                                        std::to_string(good.size() - 5) + " bytes"));
  for (std::size_t i = 0; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] = static_cast<char>(bad[i] ^ 0x04);
    write(bad);
    EXPECT_THROW(read_manifest(dir), CheckpointError) << "byte " << i << " flipped";
  }
  write(good);
  model_.expect_same_as(load_checkpoint(dir, model_.expect()));
}

// Checkpoints written before the closing crc32 (format 1) still load.
TEST_F(Checkpoints, AFormatOneManifestStillLoads) {
  const std::string dir = write_checkpoint(root_, meta_of_step(5), model_.tensors(), {});
  const std::string path = dir + "/manifest.pb";
  Manifest m;
  {
    std::ifstream in(path, std::ios::binary);
    ASSERT_TRUE(m.ParseFromIstream(&in));
  }
  EXPECT_EQ(m.format_version(), 2u);
  m.set_format_version(1);
  m.clear_manifest_crc32();
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    ASSERT_TRUE(m.SerializeToOstream(&out));
  }
  model_.expect_same_as(load_checkpoint(dir, model_.expect()));
}

// Where the writer is SIGKILLed (a test-only stage hook stops it there).
enum class KillPoint { kAfterFirstShard, kAfterManifest, kAfterRename };

class KillDuringWrite : public Checkpoints, public ::testing::WithParamInterface<KillPoint> {};

TEST_P(KillDuringWrite, LeavesTheLastCompleteCheckpointLoadable) {
  const std::string first = write_checkpoint(root_, meta_of_step(100), model_.tensors(), {});
  const Model next(1000, 5);
  const KillPoint point = GetParam();
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    WriteOptions o;
    o.shard_max_bytes = 64;  // several shards: the first kill point has written some, not all
    int files = 0;
    o.stage_hook = [&](WriteStage stage, const std::string&) {
      if (stage == WriteStage::kFileWritten) ++files;
      const bool now = (point == KillPoint::kAfterFirstShard && files == 1) ||
                       (point == KillPoint::kAfterManifest && files == 4) ||
                       (point == KillPoint::kAfterRename && stage == WriteStage::kRenamed);
      if (now) ::raise(SIGKILL);
    };
    try {
      write_checkpoint(root_, meta_of_step(200), next.tensors(), o);
    } catch (...) {
      std::_Exit(4);
    }
    std::_Exit(3);  // the hook did not fire
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "the writer was not killed mid-write: " << status;

  const std::vector<std::string> stale = tmp_dirs_in(root_);
  if (point == KillPoint::kAfterRename) {
    EXPECT_TRUE(stale.empty());
    const std::string second = root_ + "/step-000000000200";
    EXPECT_EQ(latest_checkpoint(root_), second);
    next.expect_same_as(load_checkpoint(second, next.expect()));
  } else {
    ASSERT_EQ(stale.size(), 1u) << "the killed writer left its temporary directory";
    const std::set<std::string> left = names_in(stale[0]);
    EXPECT_EQ(left.count("manifest.pb"), point == KillPoint::kAfterManifest ? 1u : 0u);
    EXPECT_EQ(left.count("tensors-000.bin"), 1u);
    EXPECT_EQ(latest_checkpoint(root_), first);
    const LoadedCheckpoint c = load_checkpoint(first, model_.expect());
    model_.expect_same_as(c);
    EXPECT_EQ(c.meta.step, 100u);
  }
  // The resumed run writes the same step again (the dead writer's pid is not alive, and
  // its step is not newer than ours): its leftovers go.
  write_checkpoint(root_, meta_of_step(point == KillPoint::kAfterRename ? 300 : 200), next.tensors(), {});
  EXPECT_TRUE(tmp_dirs_in(root_).empty());
}

INSTANTIATE_TEST_SUITE_P(Checkpoints, KillDuringWrite,
                         ::testing::Values(KillPoint::kAfterFirstShard, KillPoint::kAfterManifest,
                                           KillPoint::kAfterRename),
                         [](const ::testing::TestParamInfo<KillPoint>& p) {
                           switch (p.param) {
                             case KillPoint::kAfterFirstShard: return std::string("AfterTheFirstShard");
                             case KillPoint::kAfterManifest: return std::string("AfterTheManifest");
                             case KillPoint::kAfterRename: return std::string("AfterTheRename");
                           }
                           return std::string("Unknown");
                         });

TEST_F(Checkpoints, TheNextWriteRemovesOnlyLeftoversThatCannotFinish) {
  write_checkpoint(root_, meta_of_step(100), model_.tensors(), {});
  const pid_t dead = ::fork();
  ASSERT_GE(dead, 0);
  if (dead == 0) std::_Exit(0);
  ASSERT_EQ(::waitpid(dead, nullptr, 0), dead);
  const std::string older_alive = ".tmp-step-000000000150-1-7";  // pid 1 is alive, step older than 200
  const std::string newer_alive = ".tmp-step-000000000900-1-7";  // a live writer of a newer step
  const std::string newer_dead = ".tmp-step-000000000900-" + std::to_string(dead) + "-7";
  const std::string newer_ours =
      ".tmp-step-000000000900-" + std::to_string(::getpid()) + "-7";  // a former process with our pid
  const std::string trash = ".trash-step-000000000003-1-1";           // a deletion that was killed
  for (const std::string& d : {older_alive, newer_alive, newer_dead, newer_ours, trash}) {
    fs::create_directory(root_ + "/" + d);
    std::ofstream(root_ + "/" + d + "/tensors-000.bin") << "x";
  }
  std::ofstream(root_ + "/notes.txt") << "not ours";
  write_checkpoint(root_, meta_of_step(200), model_.tensors(), {2, {}});
  EXPECT_EQ(names_in(root_),
            (std::set<std::string>{"step-000000000100", "step-000000000200", newer_alive, "notes.txt"}));
}

TEST_F(Checkpoints, ASymlinkPlantedInTheTemporaryDirectoryIsNotFollowed) {
  const std::string first = write_checkpoint(root_, meta_of_step(100), model_.tensors(), {});
  const std::string victim = base_ + "/victim";
  std::ofstream(victim) << "precious";
  WriteOptions o;
  o.stage_hook = [&](WriteStage stage, const std::string& path) {
    // Someone with access plants the manifest's name as a link to a file of ours.
    if (stage == WriteStage::kFileWritten) fs::create_symlink(victim, fs::path(path).parent_path() / "manifest.pb");
  };
  try {
    write_checkpoint(root_, meta_of_step(200), model_.tensors(), o);
    ADD_FAILURE() << "wrote through a planted symlink";
  } catch (const CheckpointError& e) {
    EXPECT_THAT(e.what(), HasSubstr("/manifest.pb: creating the file (something exists at its name"));
  }
  EXPECT_EQ(read_text(victim), "precious");
  EXPECT_TRUE(tmp_dirs_in(root_).empty()) << "a failed write removes its temporary directory";
  EXPECT_EQ(latest_checkpoint(root_), first);
}

TEST_F(Checkpoints, ASymlinkAtTheCheckpointNameIsNotFollowed) {
  fs::create_directories(root_);
  const std::string elsewhere = base_ + "/elsewhere";
  fs::create_directory(elsewhere);
  fs::create_directory_symlink(elsewhere, root_ + "/step-000000000007");
  EXPECT_THROW(write_checkpoint(root_, meta_of_step(7), model_.tensors(), {}), CheckpointError);
  EXPECT_TRUE(fs::is_empty(elsewhere));
  const CheckpointScan scan = scan_checkpoints(root_);
  EXPECT_EQ(scan.latest(), std::nullopt);
  ASSERT_EQ(scan.damaged.size(), 1u);
  EXPECT_THAT(scan.damaged[0].why, HasSubstr("a symbolic link, not a checkpoint directory"));
}

TEST_F(Checkpoints, FileIoNeverWritesThroughASymlink) {
  const std::string victim = base_ + "/victim";
  std::ofstream(victim) << "precious";
  const std::string link = base_ + "/link";
  fs::create_symlink(victim, link);
  EXPECT_THROW(write_new_file_durably(link, "overwritten"), CheckpointError);
  EXPECT_EQ(read_text(victim), "precious");
  fs::create_directory_symlink(base_, base_ + "/dirlink");
  EXPECT_THROW(make_directory(base_ + "/dirlink", IfExists::kFail), CheckpointError);
  EXPECT_THROW(make_directory(base_ + "/dirlink", IfExists::kOk), CheckpointError)
      << "a link to a directory is not one";
}

TEST_F(Checkpoints, AWorldWritableRootWithoutStickyBitIsRefused) {
  write_checkpoint(root_, meta_of_step(1), model_.tensors(), {});
  ASSERT_EQ(::chmod(root_.c_str(), 0777), 0);
  for (int attempt = 0; attempt < 2; ++attempt) {
    try {
      if (attempt == 0) write_checkpoint(root_, meta_of_step(2), model_.tensors(), {});
      if (attempt == 1) latest_checkpoint(root_);
      ADD_FAILURE() << "accepted a world-writable root, attempt " << attempt;
    } catch (const CheckpointError& e) {
      EXPECT_THAT(e.what(), StartsWith(root_ + ": the checkpoint directory is world-writable without the sticky bit"));
    }
  }
  ASSERT_EQ(::chmod(root_.c_str(), 01777), 0);
  EXPECT_NO_THROW(write_checkpoint(root_, meta_of_step(2), model_.tensors(), {}));
  EXPECT_EQ(latest_checkpoint(root_), root_ + "/step-000000000002");
}

TEST_F(Checkpoints, AMissingRootHoldsNothingAndIsCreatedWithItsParents) {
  const std::string nested = base_ + "/a/b/ckpt";
  EXPECT_EQ(latest_checkpoint(nested), std::nullopt);
  EXPECT_EQ(write_checkpoint(nested, meta_of_step(3), model_.tensors(), {}), nested + "/step-000000000003");
  EXPECT_EQ(latest_checkpoint(nested), nested + "/step-000000000003");
}

TEST_F(Checkpoints, AnUnreadableRootIsAnErrorNotAFreshStart) {
  if (::geteuid() == 0) GTEST_SKIP() << "root reads any directory";
  write_checkpoint(root_, meta_of_step(1), model_.tensors(), {});
  ASSERT_EQ(::chmod(root_.c_str(), 0), 0);
  EXPECT_THROW(latest_checkpoint(root_), CheckpointError);
}

}  // namespace
}  // namespace ra::checkpoint
