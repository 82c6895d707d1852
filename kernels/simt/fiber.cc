#include "kernels/simt/fiber.h"

#include <cstdint>
#include <stdexcept>

namespace ra::simt {

Fiber::Fiber(std::size_t stack_bytes) : stack_(new char[stack_bytes]), stack_bytes_(stack_bytes) {}

void Fiber::reset(std::function<void()> body) {
  body_ = std::move(body);
  finished_ = false;
  failure_ = nullptr;
  if (getcontext(&context_) != 0) throw std::runtime_error("simt: getcontext failed");
  context_.uc_stack.ss_sp = stack_.get();
  context_.uc_stack.ss_size = stack_bytes_;
  context_.uc_link = &caller_;
  // makecontext passes int arguments: the pointer travels as two 32-bit halves.
  const auto p = reinterpret_cast<std::uintptr_t>(this);
  makecontext(&context_, reinterpret_cast<void (*)()>(&Fiber::entry), 2, static_cast<unsigned>(p & 0xffffffffu),
              static_cast<unsigned>(p >> 32));
}

void Fiber::entry(unsigned lo, unsigned hi) {
  const std::uintptr_t p = (static_cast<std::uintptr_t>(hi) << 32) | lo;
  reinterpret_cast<Fiber*>(p)->run();
}

void Fiber::run() {
  try {
    body_();
  } catch (...) {
    failure_ = std::current_exception();
  }
  finished_ = true;
  // Returning switches to uc_link (the resumer).
}

void Fiber::resume() {
  if (finished_) return;
  if (swapcontext(&caller_, &context_) != 0) throw std::runtime_error("simt: swapcontext failed");
}

void Fiber::yield() {
  if (swapcontext(&context_, &caller_) != 0) throw std::runtime_error("simt: swapcontext failed");
}

}  // namespace ra::simt
