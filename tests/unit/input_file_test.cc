// read_input_file, the one reader of user-named files: every kind of path a user can
// name — regular file, directory, FIFO, socket, character device, symlinks to each,
// dangling symlink, missing file, a file whose size lies — is read whole or refused with
// one line naming the path, the role and what the path is, as the caller's error type.
// A FIFO must not block: ctest's TIMEOUT catches a regression.
#include "runtime/core/input_file.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>

namespace ra {
namespace {

class InputFile : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "ra_input_XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::string path(const std::string& name) const { return dir_ + "/" + name; }
  std::string write(const std::string& name, const std::string& bytes) const {
    std::ofstream(path(name), std::ios::binary) << bytes;
    return path(name);
  }
  // The message of reading `p` as a "token file" (exit 3), "" when it is read.
  static std::string error_of(const std::string& p, ExitCode code = ExitCode::kInputData,
                              std::uint64_t max_bytes = std::numeric_limits<std::uint64_t>::max()) {
    try {
      read_input_file(p, {.role = "token file", .error_code = code, .max_bytes = max_bytes});
    } catch (const Error& e) {
      EXPECT_EQ(e.exit_code(), code) << e.what();
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << "one line: " << e.what();
      return e.what();
    }
    return "";
  }
  std::string dir_;
};

TEST_F(InputFile, ReadsARegularFileWholeAlsoThroughASymlink) {
  std::string big(300'000, 'x');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 7);
  write("a.bin", big);
  EXPECT_EQ(read_input_file(path("a.bin"), {}), big);
  ASSERT_EQ(::symlink(path("a.bin").c_str(), path("link").c_str()), 0);
  EXPECT_EQ(read_input_file(path("link"), {}), big) << "inputs may be symlinked";
  write("empty", "");
  EXPECT_EQ(read_input_file(path("empty"), {}), "") << "an empty file is the reader's to judge";
}

TEST_F(InputFile, RefusesEveryNonRegularKindNamingIt) {
  EXPECT_EQ(error_of(dir_), dir_ + ": the token file is a directory, not a regular file");
  ASSERT_EQ(::mkfifo(path("fifo").c_str(), 0600), 0);
  // Opening a FIFO for reading waits for a writer: the check comes before the open.
  EXPECT_EQ(error_of(path("fifo")), path("fifo") + ": the token file is a FIFO (named pipe), not a regular file");
  EXPECT_EQ(error_of("/dev/null"), "/dev/null: the token file is a character device, not a regular file");
  EXPECT_EQ(error_of("/dev/zero"), "/dev/zero: the token file is a character device, not a regular file")
      << "endless: must be refused before any read";

  const int s = ::socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_GE(s, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string sock = path("sock");
  ASSERT_LT(sock.size(), sizeof addr.sun_path);
  sock.copy(addr.sun_path, sock.size());
  ASSERT_EQ(::bind(s, reinterpret_cast<const sockaddr*>(&addr), sizeof addr), 0);
  EXPECT_EQ(error_of(sock), sock + ": the token file is a socket, not a regular file");
  ::close(s);

  ASSERT_EQ(::symlink(dir_.c_str(), path("to-dir").c_str()), 0);
  EXPECT_EQ(error_of(path("to-dir")),
            path("to-dir") + ": the token file is a directory (through a symbolic link), not a regular file");
  ASSERT_EQ(::symlink(path("fifo").c_str(), path("to-fifo").c_str()), 0);
  EXPECT_EQ(error_of(path("to-fifo")),
            path("to-fifo") + ": the token file is a FIFO (named pipe) (through a symbolic link), not a regular file");
}

TEST_F(InputFile, MissingDanglingAndUnreadableNameTheSystemReason) {
  EXPECT_EQ(error_of(path("none")), path("none") + ": cannot open the token file (No such file or directory)");
  ASSERT_EQ(::symlink(path("none").c_str(), path("dangling").c_str()), 0);
  EXPECT_EQ(error_of(path("dangling")), path("dangling") + ": cannot open the token file (No such file or directory)");
  EXPECT_EQ(error_of(""), "the token file path is empty");
  if (::geteuid() != 0) {  // root reads mode-000 files
    write("secret", "x");
    ASSERT_EQ(::chmod(path("secret").c_str(), 0), 0);
    EXPECT_EQ(error_of(path("secret")), path("secret") + ": cannot open the token file (Permission denied)");
  }
}

TEST_F(InputFile, ASizeLimitRefusesBeforeReading) {
  write("four", "abcd");
  EXPECT_EQ(error_of(path("four"), ExitCode::kInputData, 3),
            path("four") + ": the token file is 4 bytes, more than the 3 bytes accepted");
  EXPECT_EQ(error_of(path("four"), ExitCode::kInputData, 4), "");
}

// /proc files say size 0 and hold text: the whole-file promise cannot be kept, so the
// read is refused rather than taken short (the class of read_file's old unchecked read).
TEST_F(InputFile, AFileWhoseSizeLiesIsRefusedNotReadShort) {
  const std::string m = error_of("/proc/self/status");
  EXPECT_NE(m.find("/proc/self/status: the token file changed size while being read (0 bytes when opened, more"),
            std::string::npos)
      << m;
}

TEST_F(InputFile, TheCallersErrorTypeCarriesItsExitCode) {
  EXPECT_THROW(read_input_file(dir_, {.role = "config file", .error_code = ExitCode::kUsage}), UsageError);
  EXPECT_THROW(read_input_file(dir_, {.role = "token file", .error_code = ExitCode::kInputData}), InputDataError);
  EXPECT_EQ(error_of(dir_, ExitCode::kUsage), dir_ + ": the token file is a directory, not a regular file");
}

}  // namespace
}  // namespace ra
