// The strict config loader: one negative test per rule (each error names where, the key
// path, what was expected and what was given), precedence (--set over the file over the
// schema defaults), the cross-key rules, a resolved-YAML round trip, every file under
// configs/, and a seeded mutation loop over them that must end in success or a usage
// error — never a crash or another exception.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "runtime/config/config.h"
#include "runtime/config/config_print.h"
#include "runtime/config/yaml_loader.h"
#include "runtime/core/error.h"

namespace ra::config {
namespace {

namespace fs = std::filesystem;

LoadedConfig from_text(const std::string& yaml, const std::vector<std::string>& sets = {}) {
  LoadedConfig l;
  apply_defaults(l.config);
  load_yaml("t.yaml", yaml, l.config, l.origins);
  for (const auto& s : sets) apply_override(s, l.config, l.origins);
  check_ranges(l.config, l.origins);
  return l;
}

// The message of the UsageError that loading `yaml` raises ("" when none).
std::string error_of(const std::string& yaml, const std::vector<std::string>& sets = {}, int world = 1) {
  try {
    LoadedConfig l = from_text(yaml, sets);
    resolve(l, {world, CudaSupport::kNotBuilt});
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

#define EXPECT_ERROR(yaml, sets, world, ...)                                              \
  do {                                                                                    \
    const std::string m = error_of(yaml, sets, world);                                    \
    for (const char* want : {__VA_ARGS__}) {                                              \
      EXPECT_NE(m.find(want), std::string::npos) << "missing '" << want << "' in: " << m; \
    }                                                                                     \
  } while (0)

const std::vector<std::string> kNone;

TEST(ConfigLoader, DefaultsComeFromTheSchema) {
  const LoadedConfig l = from_text("");
  EXPECT_EQ(l.config.attention().heads(), 4u);
  EXPECT_EQ(l.config.attention().precision(), PRECISION_FAST);
  EXPECT_EQ(l.config.attention().head_dim(), 64u);
  EXPECT_EQ(l.config.attention().mask(), MASK_CAUSAL);
  EXPECT_EQ(l.config.comm().timeout(), 300.0);
  EXPECT_EQ(l.config.bench().tokens_per_rank(), 4096u);
  EXPECT_EQ(l.config.output_dir(), "ringattn-out");
}

TEST(ConfigLoader, SetWinsOverTheFileWhichWinsOverDefaults) {
  const LoadedConfig l = from_text("attention:\n  heads: 8\n  head_dim: 32\n", {"attention.heads=16"});
  EXPECT_EQ(l.config.attention().heads(), 16u);
  EXPECT_EQ(l.config.attention().head_dim(), 32u);
  EXPECT_EQ(l.config.attention().kv_heads(), 0u) << "default";
  EXPECT_EQ(l.origins.of("attention.heads"), "--set attention.heads=16");
  EXPECT_EQ(l.origins.of("attention.head_dim"), "t.yaml:3:13");
}

TEST(ConfigLoader, UnknownKeysNameTheLineAndSuggest) {
  EXPECT_ERROR("attention:\n  haeds: 8\n", kNone, 1, "t.yaml:2:3: unknown key 'attention.haeds'",
               "did you mean 'attention.heads'?", "keys of attention: heads, kv_heads");
  EXPECT_ERROR("heads: 8\n", kNone, 1, "t.yaml:1:1: unknown key 'heads'",
               "did you mean 'attention.heads' or 'model.heads'?");
  EXPECT_ERROR("passkey_digits: 3\n", kNone, 1, "did you mean 'train.data.passkey_digits'?");
  EXPECT_ERROR("atention:\n  heads: 8\n", kNone, 1, "unknown key 'atention'", "did you mean 'attention'?");
  EXPECT_ERROR("", {"attention.haeds=8"}, 1, "--set attention.haeds=8: unknown key 'attention.haeds'",
               "did you mean 'attention.heads'?");
}

TEST(ConfigLoader, DuplicateKeysNameBothLines) {
  EXPECT_ERROR("attention:\n  heads: 8\n  heads: 2\n", kNone, 1, "t.yaml:3:3: duplicate key 'attention.heads'",
               "first at line 2, again at line 3");
  EXPECT_ERROR("bench:\n  reps: 1\nattention:\n  heads: 2\nbench:\n  reps: 2\n", kNone, 1,
               "duplicate key 'bench' (first at line 1, again at line 5)");
}

TEST(ConfigLoader, WrongTypesSayWhatWasExpected) {
  EXPECT_ERROR("attention:\n  heads: eight\n", kNone, 1,
               "t.yaml:2:10: attention.heads: expected an unsigned integer, got 'eight'");
  EXPECT_ERROR("attention:\n  heads: \"8\"\n", kNone, 1, "expected an unsigned integer, got '8' (a quoted string");
  EXPECT_ERROR("attention:\n  heads: 8.5\n", kNone, 1, "expected an unsigned integer, got '8.5'");
  EXPECT_ERROR("attention:\n  heads: [8]\n", kNone, 1, "attention.heads: expected an unsigned integer, got a list");
  EXPECT_ERROR("attention:\n  heads:\n    n: 8\n", kNone, 1, "expected an unsigned integer, got a mapping");
  EXPECT_ERROR("attention:\n  heads:\n", kNone, 1, "expected an unsigned integer, got nothing");
  EXPECT_ERROR("attention: 8\n", kNone, 1, "t.yaml:1:12: attention: expected a mapping of keys, got a scalar");
  EXPECT_ERROR("attention:\n  alibi: yes\n", kNone, 1, "attention.alibi: expected true or false, got 'yes'");
  EXPECT_ERROR("attention:\n  mask: sideways\n", kNone, 1, "expected one of: causal, bidirectional, got 'sideways'");
  EXPECT_ERROR("parallel:\n  layout: unspecified\n", kNone, 1, "expected one of: auto, contiguous, zigzag, striped");
  EXPECT_ERROR("- a\n- b\n", kNone, 1, "expected a mapping of keys at the top, got a list");
  EXPECT_ERROR("", {"attention=8"}, 1, "'attention' is a section");
  EXPECT_ERROR("", {"attention.heads.x=8"}, 1, "'attention.heads' is a value, not a section");
  EXPECT_ERROR("", {"attention.heads"}, 1, "expected KEY=VALUE");
}

TEST(ConfigLoader, NumbersOutOfRangeNegativeNanAndInfinity) {
  EXPECT_ERROR("attention:\n  heads: 0\n", kNone, 1, "t.yaml:2:10: attention.heads: 0 is out of range [1, 1024]");
  EXPECT_ERROR("attention:\n  head_dim: 1000\n", kNone, 1, "attention.head_dim: 1000 is out of range [1, 512]");
  EXPECT_ERROR("attention:\n  window: -4\n", kNone, 1,
               "expected an unsigned integer, got '-4' (negative where unsigned)");
  EXPECT_ERROR("attention:\n  heads: 99999999999\n", kNone, 1, "out of range of the type");
  EXPECT_ERROR("comm:\n  timeout: .nan\n", kNone, 1,
               "comm.timeout: expected a number, got '.nan' (NaN is not a valid value)");
  EXPECT_ERROR("comm:\n  timeout: .inf\n", kNone, 1, "infinity is not a valid value");
  EXPECT_ERROR("comm:\n  timeout: 0\n", kNone, 1, "comm.timeout: 0 is out of range [0.01, 86400] s");
  EXPECT_ERROR("", {"bench.reps=0"}, 1, "--set bench.reps=0: bench.reps: 0 is out of range [1, 1000]");
}

TEST(ConfigLoader, CrossKeyRules) {
  EXPECT_ERROR("parallel:\n  sp: 3\n", kNone, 4, "parallel.sp × parallel.dp must equal the number of ranks (4)",
               "parallel.sp = 3 (t.yaml:2:7)", "parallel.dp = 1 (default)");
  EXPECT_ERROR("parallel:\n  dp: 3\n", kNone, 4,
               "the job's 4 ranks cannot be split into parallel.dp = 3 (t.yaml:2:7) rings");
  EXPECT_ERROR("attention:\n  heads: 6\n  kv_heads: 4\n", kNone, 1,
               "attention.heads must be a multiple of attention.kv_heads", "attention.heads = 6 (t.yaml:2:10)",
               "attention.kv_heads = 4 (t.yaml:3:13)");
  EXPECT_ERROR("attention:\n  backend: cuda\n", kNone, 1, "attention.backend = cuda", "built without CUDA");
  EXPECT_ERROR("comm:\n  backend: nccl\n", kNone, 1,
               "comm.backend = nccl (t.yaml:2:12) needs attention.backend = cuda");
  EXPECT_ERROR("attention:\n  precision: slow\n", kNone, 1, "expected one of: fast, exact, got 'slow'");
  EXPECT_ERROR("model:\n  compute: bf16\n", kNone, 1, "model.compute = bf16 (t.yaml:2:12) needs the device model",
               "the cpu backend's model computes in fp32");
  LoadedConfig l = from_text("attention:\n  backend: cuda\n  head_dim: 96\ncomm:\n  backend: nccl\n");
  try {
    resolve(l, {1, CudaSupport::kBuilt});
    ADD_FAILURE() << "head_dim 96 accepted for cuda";
  } catch (const UsageError& e) {
    EXPECT_NE(
        std::string(e.what()).find(
            "attention.head_dim = 96 (t.yaml:3:13) is not supported by the cuda backend (supported: 16, 32, 64, 128)"),
        std::string::npos)
        << e.what();
  }
}

TEST(ConfigLoader, TrainingRules) {
  EXPECT_ERROR("model:\n  heads: 6\n  kv_heads: 4\n", kNone, 1,
               "model.heads must be a multiple of model.kv_heads, but model.heads = 6 (t.yaml:2:10)");
  EXPECT_ERROR("model:\n  head_dim: 15\n", kNone, 1,
               "model.head_dim = 15 (t.yaml:2:13) must be even with model.positions = rope");
  EXPECT_ERROR("train:\n  lr: 0.001\n  min_lr: 0.01\n", kNone, 1,
               "train.min_lr = 0.010000 (t.yaml:3:11) must not exceed train.lr");
  EXPECT_ERROR("train:\n  data:\n    kind: text\n", kNone, 1,
               "train.data.kind = text (t.yaml:3:11) needs train.data.files (a list of files)");
  EXPECT_EQ(error_of("model:\n  head_dim: 15\n  positions: alibi\n", kNone, 1), "")
      << "odd head dims are fine without RoPE";
  EXPECT_EQ(error_of("train:\n  data:\n    kind: tokens\n    files: [a.tok, b.tok]\n", kNone, 1), "");
}

TEST(ConfigLoader, ResolvesAutoValues) {
  LoadedConfig l = from_text("attention:\n  heads: 8\n  head_dim: 16\n");
  resolve(l, {4, CudaSupport::kNotBuilt});
  EXPECT_EQ(l.config.parallel().sp(), 4u);
  EXPECT_EQ(l.config.attention().kv_heads(), 8u);
  EXPECT_EQ(l.config.attention().scale(), 0.25);
  EXPECT_EQ(l.config.parallel().layout(), LAYOUT_ZIGZAG);
  LoadedConfig w = from_text("attention:\n  window: 128\n");
  resolve(w, {2, CudaSupport::kNotBuilt});
  EXPECT_EQ(w.config.parallel().layout(), LAYOUT_CONTIGUOUS)
      << "a window stops the ring early only with contiguous shards";
}

TEST(ConfigLoader, YamlSyntaxErrorsNameTheLine) {
  EXPECT_ERROR("attention:\n  heads: [8\n", kNone, 1, "t.yaml:", "YAML syntax error");
  EXPECT_ERROR("attention:\n\theads: 8\n", kNone, 1, "t.yaml:2:", "YAML syntax error");
}

// A config is one YAML document: a second one (its keys silently without effect before)
// is refused at its '---', wherever it starts; a leading '---' is the first document.
TEST(ConfigLoader, ASecondDocumentIsRefusedAtItsLine) {
  const char* rule = "a second YAML document starts here; a config file is one document";
  EXPECT_ERROR("attention:\n  heads: 4\n---\nattention:\n  heads: 8\n", kNone, 1, "t.yaml:3:1: ", rule);
  EXPECT_ERROR("# a comment\n---\nattention:\n  heads: 4\n---\n", kNone, 1, "t.yaml:5:1: ", rule);
  EXPECT_ERROR("attention:\n  heads: 4\n...\n---\nbench:\n  reps: 2\n", kNone, 1, "t.yaml:4:1: ", rule);
  EXPECT_EQ(error_of("---\nattention:\n  heads: 8\n"), "");
  EXPECT_EQ(from_text("---\nattention:\n  heads: 8\n").config.attention().heads(), 8u);
  EXPECT_EQ(error_of("attention:\n  heads: 8\n...\n"), "") << "a document end marker alone is one document";
  // yaml-cpp's LoadAll never returns on these (it grew to 23 GB in the fuzz test), and
  // Load reads them as null: they must be refused, not taken as an empty config.
  EXPECT_ERROR(",a: 1\n", kNone, 1, "t.yaml:1:1: expected a mapping of keys at the top, got nothing");
  EXPECT_ERROR("---\n# c\n,attention:\n  heads: 8\n", kNone, 1, "t.yaml:3:1: expected a mapping");
  EXPECT_ERROR("attention:\n  heads: 8\n...\nbench:\n  reps: 2\n", kNone, 1, "t.yaml:4:1: ", rule);
  EXPECT_ERROR("---\n---\n", kNone, 1, "t.yaml:2:1: ", rule);
  EXPECT_ERROR("~\n", kNone, 1, "got nothing");
  EXPECT_EQ(error_of("# only a comment\n\n"), "");
  EXPECT_EQ(error_of("%YAML 1.2\n---\nattention:\n  heads: 8\n"), "");
  EXPECT_EQ(error_of("attention:\n  heads: 8\n  kv_heads: 2 # ---\n"), "");
}

// Explicit tags would override the schema's type ("!!str 4" was read as the number 4):
// every tagged node — value, key, section, list, list item, the root — is refused.
TEST(ConfigLoader, ExplicitTagsAreRefusedOnEveryNode) {
  const char* rule = "is not accepted (every key has the schema's type); write the value without a tag";
  EXPECT_ERROR("attention:\n  heads: !!str 4\n", kNone, 1, "t.yaml:2:10: attention.heads: YAML tag '!!str' ", rule);
  EXPECT_ERROR("attention:\n  heads: !!int 4\n", kNone, 1, "attention.heads: YAML tag '!!int'");
  EXPECT_ERROR("comm:\n  timeout: !!float 3\n", kNone, 1, "comm.timeout: YAML tag '!!float'");
  EXPECT_ERROR("attention:\n  heads: !custom 4\n", kNone, 1, "attention.heads: YAML tag '!custom'");
  EXPECT_ERROR("attention: !!map\n  heads: 4\n", kNone, 1, "t.yaml:1:12: attention: YAML tag '!!map'");
  EXPECT_ERROR("!!str attention:\n  heads: 4\n", kNone, 1, "t.yaml:1:1: attention: YAML tag '!!str'");
  EXPECT_ERROR("sweep:\n  ranks: !!seq [1, 2]\n", kNone, 1, "sweep.ranks: YAML tag '!!seq'");
  EXPECT_ERROR("sweep:\n  ranks: [1, !!int 2]\n", kNone, 1, "t.yaml:2:14: sweep.ranks[1]: YAML tag '!!int'");
  EXPECT_ERROR("--- !!map\nattention:\n  heads: 4\n", kNone, 1, "YAML tag '!!map'");
  EXPECT_ERROR("", {"sweep.ranks=[1, !!str 2]"}, 1, "sweep.ranks[1]: YAML tag '!!str'");
}

TEST(ConfigLoader, ResolvedYamlLoadsBackToTheSameConfig) {
  LoadedConfig l = from_text("attention:\n  heads: 8\n  kv_heads: 2\n  scale: 0.3\noutput_dir: \"a b: c\"\n");
  resolve(l, {2, CudaSupport::kNotBuilt});
  const std::string text = to_yaml(l);
  const LoadedConfig back = from_text(text);
  EXPECT_EQ(back.config.SerializeAsString(), l.config.SerializeAsString()) << text;
}

// Found by fuzz/config_fuzz (fuzz/regressions/config_fuzz/invalid_utf8_output_dir.yaml):
// a string value that is not UTF-8 was accepted, and the resolved YAML then loaded back to
// another string (protobuf strings are UTF-8; the broadcast to the other ranks would fail
// too). The class: every string value, from the file or --set, block or flow, quoted or
// plain, must be well-formed UTF-8 without control characters (a NUL would cut a path).
TEST(ConfigLoader, StringValuesAreUtf8WithoutControlCharacters) {
  EXPECT_ERROR("output_dir: r\xaen\n", kNone, 1, "t.yaml:1:13: output_dir: expected a string, got 'r\\xaen'",
               "(byte 1 is not valid UTF-8; a config is UTF-8 text)");
  EXPECT_ERROR(
      "train:\n  checkpoint_dir: \"a\xc0\xaf"
      "b\"\n",
      kNone, 1, "checkpoint_dir",
      "byte 1 is not valid UTF-8");                                                       // overlong '/'
  EXPECT_ERROR("output_dir: \xed\xa0\x80\n", kNone, 1, "byte 0 is not valid UTF-8");      // a surrogate
  EXPECT_ERROR("output_dir: \xf4\x90\x80\x80\n", kNone, 1, "byte 0 is not valid UTF-8");  // above U+10FFFF
  EXPECT_ERROR("output_dir: ab\xe2\x82\n", kNone, 1, "byte 2 is not valid UTF-8");        // cut short
  EXPECT_ERROR("train:\n  data:\n    kind: text\n    files: [a, \"b\\0c\"]\n", kNone, 1,
               "t.yaml:4:16: train.data.files[1]: expected a string", "control character at byte 1");
  EXPECT_ERROR("output_dir: \"a\\tb\"\n", kNone, 1, "control character at byte 1");
  EXPECT_ERROR("", {std::string("output_dir=x\xff")}, 1, "--set output_dir=x", "byte 1 is not valid UTF-8");
  // Well-formed UTF-8 of every length loads, and round-trips through the resolved YAML.
  LoadedConfig l = from_text("output_dir: \"r\xc3\xa9sultats/\xe2\x82\xac/\xf0\x9f\x98\x80\"\n");
  EXPECT_EQ(l.config.output_dir(), "r\xc3\xa9sultats/\xe2\x82\xac/\xf0\x9f\x98\x80");
  resolve(l, {1, CudaSupport::kNotBuilt});
  EXPECT_EQ(from_text(to_yaml(l)).config.output_dir(), l.config.output_dir());
}

// sp and dp are each up to 65536; their product was taken in 32 bits, so sp = dp = 65536
// wrapped to 0: check-config (no --ranks) resolved a job of 0 ranks and accepted it. The
// product is 64-bit now, and a config implying more ranks than a job may have is refused.
TEST(ConfigLoader, WorldSizeOfLargeSpAndDpDoesNotWrap) {
  LoadedConfig l = from_text("parallel:\n  sp: 65536\n  dp: 65536\n");
  try {
    (void)default_world_size(l);
    ADD_FAILURE() << "65536 x 65536 ranks accepted";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("parallel.sp = 65536 (t.yaml:2:7) × parallel.dp = 65536 (t.yaml:3:7) = "
                                         "4294967296 ranks, more than ringattn runs (at most 1048576)"),
              std::string::npos)
        << e.what();
  }
  // resolve against a world of 0 (what the wrapped product matched) is refused too.
  EXPECT_ERROR("parallel:\n  sp: 65536\n  dp: 65536\n", kNone, 0,
               "parallel.sp × parallel.dp must equal the number of ranks (0)", "= 4294967296");
  // At the limit and below: the product.
  EXPECT_EQ(default_world_size(from_text("parallel:\n  sp: 1024\n  dp: 1024\n")), 1 << 20);
  EXPECT_EQ(default_world_size(from_text("parallel:\n  dp: 3\n")), 3);  // sp 0: the whole world, dp rings
  EXPECT_THROW(default_world_size(from_text("parallel:\n  sp: 1025\n  dp: 1024\n")), UsageError);
}

fs::path configs_dir() { return fs::path(RA_CONFIGS_DIR); }

std::vector<fs::path> config_files() {
  std::vector<fs::path> out;
  for (const auto& e : fs::recursive_directory_iterator(configs_dir()))
    // configs/hardware holds `ringattn plan`'s hardware profiles, not run configs.
    if (e.is_regular_file() && e.path().extension() == ".yaml" && e.path().parent_path().filename() != "hardware")
      out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

std::string read(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(ConfigFiles, EveryFileUnderConfigsLoadsAndResolves) {
  const auto files = config_files();
  ASSERT_FALSE(files.empty()) << "no YAML under " << configs_dir();
  for (const fs::path& p : files) {
    try {
      LoadedConfig l = load_config({p.string(), {}});
      const std::uint32_t world =
          l.config.parallel().sp() > 0 ? l.config.parallel().sp() * l.config.parallel().dp() : 2;
      // As a build with CUDA resolves them: the shipped GPU configs are valid; that a
      // build without CUDA refuses them is the rule tested on its own.
      resolve(l, {static_cast<int>(world), CudaSupport::kBuilt});
    } catch (const std::exception& e) {
      ADD_FAILURE() << p << ": " << e.what();
    }
  }
}

// Seeded mutations of the shipped configs: byte flips, deletions, duplicated lines and
// YAML punctuation. Every outcome is a config or a UsageError with a message.
TEST(ConfigFuzz, MutatedFilesLoadOrFailWithAUsageError) {
  std::mt19937_64 rng(20261122);
  const char punct[] = ":-[]{}'\"\n\t #&*!|>%@`,?0123456789.e";
  int failures = 0, loaded = 0;
  for (const fs::path& p : config_files()) {
    const std::string base = read(p);
    for (int iter = 0; iter < 1500; ++iter) {
      std::string s = base;
      const int edits = 1 + static_cast<int>(rng() % 4);
      for (int e = 0; e < edits && !s.empty(); ++e) {
        const std::size_t at = rng() % s.size();
        switch (rng() % 5) {
          case 0: s[at] = punct[rng() % (sizeof punct - 1)]; break;
          case 1: s.erase(at, 1 + rng() % 8); break;
          case 2: s.insert(at, 1, punct[rng() % (sizeof punct - 1)]); break;
          case 3: {  // duplicate a line
            const std::size_t b = s.rfind('\n', at), e2 = s.find('\n', at);
            const std::size_t from = b == std::string::npos ? 0 : b + 1;
            s.insert(from, s.substr(from, (e2 == std::string::npos ? s.size() : e2 + 1) - from));
            break;
          }
          default: s[at] = static_cast<char>(rng() % 256); break;
        }
      }
      try {
        LoadedConfig l = from_text(s);
        resolve(l, {2, CudaSupport::kNotBuilt});
        ++loaded;
      } catch (const UsageError& e) {
        ++failures;
        ASSERT_FALSE(std::string(e.what()).empty());
        ASSERT_EQ(std::string(e.what()).find('\n'), std::string::npos) << "one line: " << e.what();
      } catch (const std::exception& e) {
        FAIL() << p << " iteration " << iter << ": not a usage error: " << e.what() << "\n---\n" << s;
      }
    }
  }
  EXPECT_GT(failures, 0);
  EXPECT_GT(loaded, 0);
}

}  // namespace
}  // namespace ra::config
