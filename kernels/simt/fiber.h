// Cooperative fibers on one OS thread (ucontext): each emulated CUDA thread of a block is
// a fiber that runs until it reaches a barrier or a warp collective, then yields back to
// the block scheduler. A fiber's stack is reused across blocks.
#pragma once

#include <ucontext.h>

#include <cstddef>
#include <exception>
#include <functional>
#include <memory>

namespace ra::simt {

class Fiber {
 public:
  explicit Fiber(std::size_t stack_bytes);
  Fiber(const Fiber&) = delete;
  Fiber& operator=(const Fiber&) = delete;

  // Prepares the fiber to run `body` from the start (the previous body must have finished).
  void reset(std::function<void()> body);
  // Runs the fiber until it yields or finishes; returns to the caller then.
  void resume();
  // Called from inside the fiber: back to whoever resumed it.
  void yield();

  bool finished() const { return finished_; }
  // The exception the body ended with, if any.
  std::exception_ptr failure() const { return failure_; }

 private:
  static void entry(unsigned lo, unsigned hi);
  void run();

  std::unique_ptr<char[]> stack_;
  std::size_t stack_bytes_;
  ucontext_t context_{}, caller_{};
  std::function<void()> body_;
  bool finished_ = true;
  std::exception_ptr failure_;
};

}  // namespace ra::simt
