// What a run writes: the output directory refuses world-writable directories without
// the sticky bit, files are created 0644 and never through a planted symlink, appends
// refuse symlinks; records are one JSON line with every key; progress lines.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "runtime/core/error.h"
#include "runtime/records/json_line.h"
#include "runtime/records/output_dir.h"
#include "runtime/records/output_set.h"
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

// --jsonl may name a FIFO, a device or a directory: refused, never waited on (opening a
// FIFO for writing blocks until a reader comes; the ctest TIMEOUT catches a regression).
TEST(OutputDir, AppendingRefusesWhatIsNotARegularFile) {
  TempDir t;
  ASSERT_EQ(::mkfifo((t.path() + "/fifo").c_str(), 0600), 0);
  for (const auto& [path, kind] : {std::pair<std::string, std::string>{t.path() + "/fifo", "a FIFO (named pipe)"},
                                   {t.path(), "a directory"},
                                   {"/dev/null", "a character device"}}) {
    try {
      AppendFile f(path);
      ADD_FAILURE() << path << " accepted";
    } catch (const UsageError& e) {
      EXPECT_EQ(std::string(e.what()), path + ": refusing to append to " + kind + "; give a regular file");
    }
  }
}

TEST(OutputDir, AFileInTheWayIsAClearError) {
  TempDir t;
  { std::ofstream(t.path() + "/file") << "x"; }
  EXPECT_THROW(OutputDir{t.path() + "/file"}, UsageError);
}

// The message of the UsageError that preparing `path` as an output directory raises.
std::string output_dir_error(const std::string& path) {
  try {
    OutputDir d(path);
  } catch (const UsageError& e) {
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
    return e.what();
  }
  return "";
}

// Rule 1: a symlink at the final component is refused, never followed — whether it points
// to a directory or nowhere; links among the parents are followed.
TEST(OutputDir, ASymlinkedOutputDirectoryIsRefusedNotFollowed) {
  TempDir t;
  fs::create_directory(t.path() + "/real");
  fs::create_directory_symlink(t.path() + "/real", t.path() + "/link");
  EXPECT_EQ(output_dir_error(t.path() + "/link"),
            t.path() + "/link: the output directory is a symbolic link (to " + t.path() +
                "/real); ringattn never writes through a symlink: give the directory it points to");
  EXPECT_NE(output_dir_error(t.path() + "/link/").find("is a symbolic link"), std::string::npos)
      << "a trailing slash does not hide the link";
  fs::create_symlink(t.path() + "/nowhere", t.path() + "/dangling");
  EXPECT_NE(output_dir_error(t.path() + "/dangling").find("is a symbolic link"), std::string::npos);
  EXPECT_FALSE(fs::exists(t.path() + "/nowhere")) << "nothing created through the link";
  EXPECT_EQ(output_dir_error(t.path() + "/link/run"), "") << "a link among the parents is followed";
  EXPECT_TRUE(fs::is_directory(t.path() + "/real/run"));
}

// Rule 2: "/" and system directories, by their resolved path.
TEST(OutputDir, RootAndSystemDirectoriesAreRefused) {
  const std::string rule = ", a system directory; use a directory of your own";
  EXPECT_EQ(output_dir_error("/"),
            "/: refusing to write a run's outputs into /" + rule + " (e.g. below your home or a scratch directory)");
  EXPECT_NE(output_dir_error("/tmp/..").find("into /" + rule), std::string::npos);
  EXPECT_NE(output_dir_error("/etc").find("into /etc" + rule), std::string::npos);
  EXPECT_NE(output_dir_error("/usr/lib").find("into /usr/lib" + rule), std::string::npos);
  EXPECT_NE(output_dir_error("/tmp").find("into /tmp" + rule), std::string::npos);
  EXPECT_NE(output_dir_error("/proc/ra-nothing/x").find("into /proc/ra-nothing/x" + rule), std::string::npos)
      << "refused before anything is created";
  EXPECT_NE(output_dir_error("/dev/shm").find("into /dev/shm" + rule), std::string::npos);
  if (fs::is_directory("/dev/shm")) {  // scratch like /tmp: below it is fine
    char tmpl[] = "/dev/shm/ra_records_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    EXPECT_EQ(output_dir_error(std::string(tmpl) + "/run"), "");
    fs::remove_all(tmpl);
  }
  TempDir t;
  fs::create_directory_symlink("/", t.path() + "/to-root");
  EXPECT_NE(output_dir_error(t.path() + "/to-root/").find("is a symbolic link"), std::string::npos);
  EXPECT_NE(output_dir_error(t.path() + "/to-root/etc").find("into /etc" + rule), std::string::npos);
}

// Rule 3: a world-writable directory on the way without the sticky bit; inside a sticky
// one, a directory that belongs to another user.
TEST(OutputDir, AWorldWritableParentWithoutStickyBitIsRefused) {
  TempDir t;
  const std::string open_dir = t.path() + "/open";
  fs::create_directory(open_dir);
  fs::create_directory(open_dir + "/mine");
  ::chmod(open_dir.c_str(), 0777);
  const std::string m = output_dir_error(open_dir + "/mine/run");
  EXPECT_NE(m.find("refusing an output directory inside " + open_dir +
                   ", which is world-writable without the sticky bit (anyone could replace " + open_dir + "/mine"),
            std::string::npos)
      << m;
  EXPECT_FALSE(fs::exists(open_dir + "/mine/run")) << "nothing created below an unsafe parent";
  EXPECT_NE(output_dir_error(open_dir + "/new").find("refusing to create an output directory inside " + open_dir),
            std::string::npos);
  EXPECT_FALSE(fs::exists(open_dir + "/new"));
  ::chmod(open_dir.c_str(), 01777);  // sticky, like /tmp: this user's directories are safe in it
  EXPECT_EQ(output_dir_error(open_dir + "/mine/run"), "");
  EXPECT_EQ(output_dir_error(open_dir + "/new"), "");
  if (::geteuid() == 0) {  // only root can give a directory to another user
    fs::create_directory(open_dir + "/theirs");
    ASSERT_EQ(::chown((open_dir + "/theirs").c_str(), 4242, 4242), 0);
    EXPECT_NE(output_dir_error(open_dir + "/theirs/run")
                  .find(open_dir + "/theirs belongs to uid 4242, not to this user (uid 0), inside the world-writable " +
                        open_dir),
              std::string::npos);
    EXPECT_FALSE(fs::exists(open_dir + "/theirs/run"));
  }
}

// All or nothing: an earlier run's set is removed before the work, a failed run leaves
// none of its files, a committed one all of them and the marker listing them.
TEST(OutputSet, FilesAppearTogetherWithTheirMarkerOrNotAtAll) {
  TempDir t;
  const OutputDir d(t.path() + "/out");
  for (const char* f : {"o.npy", "lse.npy", "dk.npy", "dv.npy", "done"}) std::ofstream(d.path_of(f)) << "old\n";
  std::ofstream(d.path_of("notes.txt")) << "the user's\n";
  {
    OutputSet s(d, "done", {"o.npy", "lse.npy", "dq.npy", "dk.npy", "dv.npy"});
    for (const char* f : {"o.npy", "lse.npy", "dk.npy", "dv.npy", "done"})
      EXPECT_FALSE(fs::exists(d.path_of(f))) << f << ": stale outputs are removed before the computation";
    s.add("o.npy", "new o");
    s.add("lse.npy", "new lse");
    // The run fails here (an exception, a full disk): the set is destroyed uncommitted.
  }
  EXPECT_EQ(std::distance(fs::directory_iterator(d.path()), fs::directory_iterator{}), 1)
      << "only the user's file: no output, no temporary";
  {
    OutputSet s(d, "done", {"o.npy", "lse.npy", "dq.npy"});
    s.add("o.npy", "new o");
    s.add("lse.npy", "new lse!");
    EXPECT_FALSE(fs::exists(d.path_of("o.npy"))) << "nothing in place before commit";
    s.commit();
  }
  EXPECT_EQ(read(d.path_of("o.npy")), "new o");
  EXPECT_EQ(read(d.path_of("lse.npy")), "new lse!");
  EXPECT_EQ(read(d.path_of("done")), "o.npy 5\nlse.npy 8\n");
  EXPECT_EQ(std::distance(fs::directory_iterator(d.path()), fs::directory_iterator{}), 4);
  EXPECT_THROW((OutputSet{d, "done", {"o.npy"}}.add("x.npy", "")), InternalError) << "not a file of the set";
}

// A directory that cannot be written is found before the computation, not after it. As
// root (who writes into mode-0555 directories) the check runs in a child process that has
// become the unprivileged user 65534.
TEST(OutputSet, AReadOnlyDirectoryIsFoundBeforeTheWork) {
  TempDir t;
  ::chmod(t.path().c_str(), 0755);
  const OutputDir d(t.path() + "/ro");
  ::chmod(d.path().c_str(), 0555);
  auto refused = [&] {
    try {
      OutputSet s(d, "done", {"o.npy"});
    } catch (const UsageError& e) {
      return std::string(e.what()).find("Permission denied") != std::string::npos;
    }
    return false;
  };
  if (::geteuid() != 0) {
    EXPECT_TRUE(refused());
  } else {
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      const bool dropped = ::setgid(65534) == 0 && ::setuid(65534) == 0;
      ::_exit(!dropped ? 2 : refused() ? 0 : 1);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0) << "1: the read-only directory was accepted; 2: could not drop root";
  }
  ::chmod(d.path().c_str(), 0755);
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
