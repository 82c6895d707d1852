#include "runtime/core/error.h"

namespace ra {

int exit_status(const Error& e) noexcept { return static_cast<int>(e.exit_code()); }

}  // namespace ra
