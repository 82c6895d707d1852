// Check macros. Each names the error type to throw, so the failure carries the right
// exit code: user input is validated with ra::UsageError / ra::InputDataError,
// internal invariants with ra::InternalError. Never `assert` for either.
//
//   RA_CHECK(ra::UsageError, hq % hkv == 0, "q heads must be a multiple of kv heads");
//   RA_CHECK_EQ(ra::UsageError, q.dim(2), k.dim(2), "head_dim of q and k");
//
// The message reads "file.cc:42: check failed: q.dim(2) == k.dim(2) (64 vs 128): head_dim
// of q and k". Trailing arguments are streamed into the message.
#pragma once

#include <sstream>
#include <string>
#include <type_traits>
#include <utility>

#include "runtime/core/error.h"

namespace ra::detail {

template <typename... Parts>
std::string concat(Parts&&... parts) {
  std::ostringstream os;
  (os << ... << std::forward<Parts>(parts));
  return os.str();
}

template <typename Err, typename... Parts>
[[noreturn]] void fail(const char* file, int line, const std::string& what, Parts&&... parts) {
  std::string msg = concat(file, ":", line, ": check failed: ", what);
  if constexpr (sizeof...(Parts) > 0) msg += concat(": ", std::forward<Parts>(parts)...);
  throw Err(msg);
}

// A check on a string literal is always true: refuse it at compile time.
template <typename T>
constexpr bool is_string_literal_v = std::is_array_v<std::remove_reference_t<T>>&&
    std::is_same_v<std::remove_cv_t<std::remove_extent_t<std::remove_reference_t<T>>>, char>;

// Print int8/uint8 as numbers, everything else as the stream prints it.
template <typename T>
decltype(auto) printable(const T& v) {
  if constexpr (std::is_same_v<T, signed char> || std::is_same_v<T, unsigned char>) {
    return static_cast<int>(v);
  } else {
    return (v);
  }
}

}  // namespace ra::detail

#define RA_FILE_BASENAME (__builtin_strrchr(__FILE__, '/') ? __builtin_strrchr(__FILE__, '/') + 1 : __FILE__)

#define RA_CHECK(ErrType, cond, ...)                                                                        \
  do {                                                                                                      \
    static_assert(!::ra::detail::is_string_literal_v<decltype(cond)>,                                       \
                  "RA_CHECK takes a condition, not a string literal");                                      \
    if (!(cond)) ::ra::detail::fail<ErrType>(RA_FILE_BASENAME, __LINE__, #cond __VA_OPT__(, ) __VA_ARGS__); \
  } while (0)

#define RA_CHECK_OP_(ErrType, op, a, b, ...)                                                                         \
  do {                                                                                                               \
    const auto& ra_check_a_ = (a);                                                                                   \
    const auto& ra_check_b_ = (b);                                                                                   \
    if (!(ra_check_a_ op ra_check_b_))                                                                               \
      ::ra::detail::fail<ErrType>(RA_FILE_BASENAME, __LINE__,                                                        \
                                  ::ra::detail::concat(#a " " #op " " #b " (", ::ra::detail::printable(ra_check_a_), \
                                                       " vs ", ::ra::detail::printable(ra_check_b_), ")")            \
                                      __VA_OPT__(, ) __VA_ARGS__);                                                   \
  } while (0)

#define RA_CHECK_EQ(ErrType, a, b, ...) RA_CHECK_OP_(ErrType, ==, a, b __VA_OPT__(, ) __VA_ARGS__)
#define RA_CHECK_NE(ErrType, a, b, ...) RA_CHECK_OP_(ErrType, !=, a, b __VA_OPT__(, ) __VA_ARGS__)
#define RA_CHECK_LT(ErrType, a, b, ...) RA_CHECK_OP_(ErrType, <, a, b __VA_OPT__(, ) __VA_ARGS__)
#define RA_CHECK_LE(ErrType, a, b, ...) RA_CHECK_OP_(ErrType, <=, a, b __VA_OPT__(, ) __VA_ARGS__)
#define RA_CHECK_GT(ErrType, a, b, ...) RA_CHECK_OP_(ErrType, >, a, b __VA_OPT__(, ) __VA_ARGS__)
#define RA_CHECK_GE(ErrType, a, b, ...) RA_CHECK_OP_(ErrType, >=, a, b __VA_OPT__(, ) __VA_ARGS__)
