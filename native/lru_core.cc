#include "lru_core.h"

#include <cstdlib>
#include <limits>

namespace caro {

namespace {
constexpr size_t kInitialCapacity = 16;
// Slot ids are int32 on every side of the boundary.
constexpr size_t kMaxSlots = static_cast<size_t>(INT32_MAX) + 1;
}  // namespace

uint64_t LruCore::limitFromDouble(double value) {
  // Written so that NaN fails the first test: casting an out-of-range double
  // to an integer is undefined behaviour.
  if (!(value > 0)) return 0;
  if (value >= 18446744073709551616.0) return UINT64_MAX;  // 2^64
  return static_cast<uint64_t>(value);
}

LruCore::LruCore(double maxEntries, double maxBytes)
    : maxEntries_(limitFromDouble(maxEntries)),
      maxBytes_(limitFromDouble(maxBytes)) {}

LruCore::~LruCore() { std::free(nodes_); }

// realloc rather than std::vector so that running out of memory is a return
// value instead of an exception the addon is built without.
bool LruCore::grow() {
  if (capacity_ >= kMaxSlots) return false;
  size_t want = capacity_ == 0 ? kInitialCapacity : capacity_ * 2;
  if (want > kMaxSlots) want = kMaxSlots;
  if (want > std::numeric_limits<size_t>::max() / sizeof(Node)) return false;
  void* grown = std::realloc(nodes_, want * sizeof(Node));
  if (grown == nullptr) return false;
  nodes_ = static_cast<Node*>(grown);
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

int32_t LruCore::insert(uint64_t bytes) {
  if (bytes > UINT64_MAX - total_) return kErrOverflow;
  int32_t slot;
  if (free_ != kNone) {
    slot = free_;
    free_ = nodes_[slot].next;
  } else {
    if (size_ == capacity_ && !grow()) return kErrNoMemory;
    slot = static_cast<int32_t>(size_++);
  }
  nodes_[slot].bytes = bytes;
  linkHead(slot);
  ++count_;
  total_ += bytes;
  return slot;
}

bool LruCore::update(int32_t slot, uint64_t bytes) {
  Node& node = nodes_[slot];
  const uint64_t rest = total_ - node.bytes;
  if (bytes > UINT64_MAX - rest) return false;
  total_ = rest + bytes;
  node.bytes = bytes;
  touch(slot);
  return true;
}

void LruCore::touch(int32_t slot) {
  if (slot == head_) return;
  unlink(slot);
  linkHead(slot);
}

void LruCore::remove(int32_t slot) {
  unlink(slot);
  Node& node = nodes_[slot];
  total_ -= node.bytes;
  --count_;
  node.prev = kFreeMark;
  node.next = free_;
  node.bytes = 0;
  free_ = slot;
}

bool LruCore::applyOps(const int32_t* ops, int32_t n) {
  if (n < 0 || n > kOpBatch) return false;
  // For the check, each removed slot's node is marked free, which isLive()
  // sees; the marks are undone afterwards from the saved links, so checking
  // needs no memory beyond this frame.
  int32_t savedPrev[kOpBatch];
  int32_t checked = 0;
  for (; checked < n; ++checked) {
    const int32_t op = ops[checked];
    const int32_t slot = op >= 0 ? op : ~op;
    if (!isLive(slot)) break;
    if (op < 0) {
      savedPrev[checked] = nodes_[slot].prev;
      nodes_[slot].prev = kFreeMark;
    }
  }
  for (int32_t i = checked - 1; i >= 0; --i) {
    if (ops[i] < 0) nodes_[~ops[i]].prev = savedPrev[i];
  }
  if (checked < n) return false;
  for (int32_t i = 0; i < n; ++i) {
    if (ops[i] >= 0) {
      touch(ops[i]);
    } else {
      remove(~ops[i]);
    }
  }
  return true;
}

int32_t LruCore::evict(double* victims) {
  int32_t n = 0;
  while (n < kVictimBatch && overLimit()) {
    const int32_t victim = tail_;
    victims[2 * n] = victim;
    victims[2 * n + 1] = static_cast<double>(nodes_[victim].bytes);
    remove(victim);
    ++n;
  }
  return n;
}

void LruCore::clear() {
  std::free(nodes_);
  nodes_ = nullptr;
  size_ = 0;
  capacity_ = 0;
  head_ = kNone;
  tail_ = kNone;
  free_ = kNone;
  count_ = 0;
  total_ = 0;
}

}  // namespace caro
