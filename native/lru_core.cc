#include "lru_core.h"

#include <cstdlib>
#include <limits>

namespace caro {

namespace {
// Slot ids are int32 on every side of the boundary.
constexpr int64_t kMaxSlots = static_cast<int64_t>(INT32_MAX) + 1;
}  // namespace

LruCore::~LruCore() { std::free(nodes_); }

// realloc rather than std::vector so that running out of memory is a return
// value instead of an exception the addon is built without.
bool LruCore::reserve(int64_t slots) {
  if (slots <= static_cast<int64_t>(capacity_)) return true;
  if (slots > kMaxSlots) return false;
  const size_t want = static_cast<size_t>(slots);
  if (want > std::numeric_limits<size_t>::max() / sizeof(Node)) return false;
  void* grown = std::realloc(nodes_, want * sizeof(Node));
  if (grown == nullptr) return false;
  nodes_ = static_cast<Node*>(grown);
  for (size_t slot = capacity_; slot < want; ++slot) {
    nodes_[slot] = Node{kUnlinked, kNone};
  }
  capacity_ = want;
  return true;
}

void LruCore::unlink(int32_t slot) {
  Node& node = nodes_[slot];
  if (node.prev != kNone) {
    nodes_[node.prev].next = node.next;
  } else {
    head_ = node.next;
  }
  if (node.next != kNone) {
    nodes_[node.next].prev = node.prev;
  } else {
    tail_ = node.prev;
  }
}

void LruCore::linkHead(int32_t slot) {
  Node& node = nodes_[slot];
  node.prev = kNone;
  node.next = head_;
  if (head_ != kNone) {
    nodes_[head_].prev = slot;
  } else {
    tail_ = slot;
  }
  head_ = slot;
}

int32_t LruCore::applyOps(const int32_t* ops, int32_t n) {
  for (int32_t i = 0; i < n; ++i) {
    const int32_t op = ops[i];
    if (op >= 0) {
      if (static_cast<size_t>(op) >= capacity_) return i;
      if (op == head_) continue;
      if (nodes_[op].prev == kUnlinked) {
        ++count_;
      } else {
        unlink(op);
      }
      linkHead(op);
    } else {
      const int32_t slot = ~op;
      if (!isLinked(slot)) return i;
      unlink(slot);
      nodes_[slot].prev = kUnlinked;
      --count_;
    }
  }
  return n;
}

int32_t LruCore::oldest(int32_t* out, int32_t k) const {
  int32_t n = 0;
  for (int32_t slot = tail_; slot != kNone && n < k; slot = nodes_[slot].prev) {
    out[n++] = slot;
  }
  return n;
}

void LruCore::clear() {
  std::free(nodes_);
  nodes_ = nullptr;
  capacity_ = 0;
  head_ = kNone;
  tail_ = kNone;
  count_ = 0;
}

}  // namespace caro
