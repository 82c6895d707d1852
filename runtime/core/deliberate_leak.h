#pragma once
// Memory given up on purpose: the buffers of a transfer or collective that was abandoned
// at its deadline (MPI forbids cancelling it, so MPI may still read or write them) must
// outlive it and are never freed. LeakSanitizer is told so, object by object, so that a
// sanitizer build reports every other leak and needs no suppression naming our code.
#include <memory>

#if defined(__SANITIZE_ADDRESS__)
#define RA_LSAN_ACTIVE 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(leak_sanitizer)
#define RA_LSAN_ACTIVE 1
#endif
#endif
#if defined(RA_LSAN_ACTIVE)
#include <sanitizer/lsan_interface.h>
#endif

namespace ra {

// Releases `owned` without freeing it; what it points to (and everything reachable from
// it) is no leak for LeakSanitizer. Returns the pointer, for callers that log it.
template <class T>
T* leak_deliberately(std::unique_ptr<T>& owned) {
  T* p = owned.release();
#if defined(RA_LSAN_ACTIVE)
  if (p != nullptr) __lsan_ignore_object(p);
#endif
  return p;
}

}  // namespace ra
