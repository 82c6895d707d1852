// Compile-fail probe (tests/unit/CMakeLists.txt): a check on a string literal is always
// true, so RA_CHECK refuses it at compile time. This file must NOT compile.
#include "runtime/core/check.h"

void probe() { RA_CHECK(ra::InternalError, "this is always true"); }
