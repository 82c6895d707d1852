// What a run writes: the output directory refuses world-writable directories without
// the sticky bit, files are created 0644 and never through a planted symlink, appends
// refuse symlinks; records are one JSON line with every key; progress lines.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "runtime/core/error.h"
#include "runtime/records/json_line.h"
#include "runtime/records/output_dir.h"
#include "runtime/records/progress.h"
#include "runtime/records/records.pb.h"

namespace ra::records {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/ra_records_XXXXXX";
    path_ = ::mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string read(const std::string& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

mode_t mode_of(const std::string& p) {
  struct stat st {};
  ::lstat(p.c_str(), &st);
  return st.st_mode;
}

TEST(OutputDir, CreatesNestedDirectoriesAndPrivateEnoughFiles) {
  TempDir t;
  const OutputDir d(t.path() + "/a/b/c/");
  EXPECT_EQ(d.path(), t.path() + "/a/b/c");
  d.write_file("config.yaml", "x: 1\n");
  d.append_line("records.jsonl", "{\"a\":1}");
  d.append_line("records.jsonl", "{\"a\":2}");
  EXPECT_EQ(read(d.path_of("config.yaml")), "x: 1\n");
  EXPECT_EQ(read(d.path_of("records.jsonl")), "{\"a\":1}\n{\"a\":2}\n");
  for (const char* f : {"config.yaml", "records.jsonl"}) {
    EXPECT_EQ(mode_of(d.path_of(f)) & S_IWOTH, 0u) << f << " must not be world-writable";
  }
  EXPECT_EQ(std::distance(fs::directory_iterator(d.path()), fs::directory_iterator{}), 2) << "no temporary left";
}

TEST(OutputDir, RefusesWorldWritableWithoutStickyBit) {
  TempDir t;
  const std::string open_dir = t.path() + "/open";
  fs::create_directory(open_dir);
  ::chmod(open_dir.c_str(), 0777);
  try {
    OutputDir d(open_dir);
    ADD_FAILURE() << "world-writable directory accepted";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("world-writable without the sticky bit"), std::string::npos) << e.what();
  }
  ::chmod(open_dir.c_str(), 01777);  // like /tmp: allowed
  EXPECT_NO_THROW(OutputDir{open_dir});
}

TEST(OutputDir, NeverFollowsAPlantedSymlink) {
  TempDir t;
  const OutputDir d(t.path() + "/run");
  const std::string victim = t.path() + "/victim";
  { std::ofstream(victim) << "precious\n"; }
  fs::create_symlink(victim, d.path_of("config.yaml"));
  fs::create_symlink(victim, d.path_of("records.jsonl"));
  d.write_file("config.yaml", "new\n");  // replaces the link itself
  EXPECT_EQ(read(victim), "precious\n");
  EXPECT_FALSE(fs::is_symlink(d.path_of("config.yaml")));
  EXPECT_EQ(read(d.path_of("config.yaml")), "new\n");
  try {
    d.append_line("records.jsonl", "{}");
    ADD_FAILURE() << "appended through a symlink";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("refusing to append through a symbolic link"), std::string::npos) << e.what();
  }
  EXPECT_EQ(read(victim), "precious\n");
  EXPECT_THROW(AppendFile{d.path_of("records.jsonl")}, UsageError);
}

TEST(OutputDir, AFileInTheWayIsAClearError) {
  TempDir t;
  { std::ofstream(t.path() + "/file") << "x"; }
  EXPECT_THROW(OutputDir{t.path() + "/file"}, UsageError);
}

TEST(Records, OneJsonLineWithEveryKey) {
  BenchRecord r;
  r.set_record("ring_bench");
  r.set_ranks(2);
  r.set_peak_rss_bytes(1e11);
  r.add_steps()->set_pass("fwd");
  const std::string line = to_json_line(r);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  for (const char* key : {"\"ranks\":2", "\"ring_efficiency\":0", "\"peak_rss_bytes\":100000000000", "\"window\":0",
                          "\"steps\":[{", "\"pass\":\"fwd\""}) {
    EXPECT_NE(line.find(key), std::string::npos) << key << " in " << line;
  }
}

TEST(Progress, LinesCarryRateAndEta) {
  EXPECT_EQ(Progress::line("reps", 3, 6, 1.5), "reps 3/6, 2.00/s, ETA 1.5 s");
  EXPECT_EQ(Progress::line("reps", 6, 6, 3.0), "reps 6/6, 3.0 s");
  EXPECT_EQ(Progress::line("reps", 0, 6, 0.0), "reps 0/6, 0.0 s");
}

}  // namespace
}  // namespace ra::records
