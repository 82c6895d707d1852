// The one durable writer (runtime/io/atomic_file.h): whole files appear at once, mode
// 0644, never through a planted symlink; a refusing rename refuses; a failure leaves no
// temporary file and throws the caller's error type naming the path.
#include "runtime/io/atomic_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "runtime/core/error.h"

namespace ra::io {
namespace {

namespace fs = std::filesystem;

constexpr ThrowFn kUsage = &throw_error<UsageError>;
constexpr ThrowFn kCheckpoint = &throw_error<CheckpointError>;

class AtomicFile : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ra_atomic_file_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::size_t entries() const {
    return static_cast<std::size_t>(std::distance(fs::directory_iterator(dir_), fs::directory_iterator{}));
  }
  std::string dir_;
};

std::string read(const std::string& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST_F(AtomicFile, WritesAndReplacesWithMode0644AndNoTemporaryLeft) {
  const std::string path = dir_ + "/config.yaml";
  write_file_atomically(path, "x: 1\n", {.if_exists = IfTargetExists::kReplace, .throw_fn = kUsage});
  write_file_atomically(path, "x: 2\n", {.if_exists = IfTargetExists::kReplace, .throw_fn = kUsage});
  EXPECT_EQ(read(path), "x: 2\n");
  const mode_t old_mask = ::umask(0);
  ::umask(old_mask);
  struct stat st {};
  ASSERT_EQ(::lstat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u & ~old_mask);
  EXPECT_EQ(entries(), 1u);
}

TEST_F(AtomicFile, ReplacesAPlantedSymlinkWithoutFollowingIt) {
  const std::string victim = dir_ + "/victim", link = dir_ + "/out.json";
  std::ofstream(victim) << "precious";
  fs::create_symlink(victim, link);
  write_file_atomically(link, "new", {.if_exists = IfTargetExists::kReplace, .throw_fn = kUsage});
  EXPECT_EQ(read(victim), "precious");
  EXPECT_FALSE(fs::is_symlink(link));
  EXPECT_EQ(read(link), "new");
}

TEST_F(AtomicFile, RefusingKeepsTheTargetAndCleansUp) {
  const std::string path = dir_ + "/manifest.pb";
  std::ofstream(path) << "old";
  try {
    write_file_atomically(path, "new", {.if_exists = IfTargetExists::kRefuse, .throw_fn = kCheckpoint});
    ADD_FAILURE() << "replaced an existing file";
  } catch (const CheckpointError& e) {
    EXPECT_EQ(std::string(e.what()), path + ": exists already; refusing to replace it");
  }
  EXPECT_EQ(read(path), "old");
  EXPECT_EQ(entries(), 1u) << "the temporary file is removed";
}

TEST_F(AtomicFile, AFailedRenameRemovesTheTemporaryAndNamesThePath) {
  // A non-empty directory at the target: rename(2) of a file over it fails.
  const std::string path = dir_ + "/taken";
  fs::create_directory(path);
  std::ofstream(path + "/inside") << "x";
  try {
    write_file_atomically(path, "data", {.if_exists = IfTargetExists::kReplace, .throw_fn = kUsage});
    ADD_FAILURE() << "wrote over a directory";
  } catch (const UsageError& e) {
    EXPECT_EQ(std::string(e.what()).rfind(path + ": renaming " + path + ".tmp.", 0), 0u) << e.what();
  }
  EXPECT_EQ(entries(), 1u) << "the temporary file is removed";
}

TEST_F(AtomicFile, NewFilesNeverGoThroughASymlink) {
  const std::string victim = dir_ + "/victim", link = dir_ + "/link";
  std::ofstream(victim) << "precious";
  fs::create_symlink(victim, link);
  try {
    write_new_file_durably(link, "overwritten", kCheckpoint);
    ADD_FAILURE() << "wrote through a planted symlink";
  } catch (const CheckpointError& e) {
    EXPECT_EQ(std::string(e.what()).rfind(link + ": creating the file (something exists at its name", 0), 0u)
        << e.what();
  }
  EXPECT_EQ(read(victim), "precious");
}

TEST_F(AtomicFile, NewFileCountsWhatItWrites) {
  NewFile f = NewFile::create(dir_ + "/shard", kCheckpoint);
  f.append("abc", 3);
  f.append("defg", 4);
  EXPECT_EQ(f.written_bytes(), 7u);
  f.sync_and_close();
  EXPECT_EQ(read(dir_ + "/shard"), "abcdefg");
}

}  // namespace
}  // namespace ra::io
