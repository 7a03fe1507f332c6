// LruCore: the recency order behind caro-cache's native engine.
//
// Plain C++17, no Node-API, no exceptions. The JavaScript side hands out the
// slot ids and keeps the keys, the sizes, the counts and the limits, so that
// an insert which evicts nothing needs no call into the addon (see
// src/engines/buffered.ts); this core only keeps the slots in recency order
// and reports the oldest ones. The WASM engine implements the identical
// order, so recency and victims must match operation for operation.
#ifndef CARO_CACHE_LRU_CORE_H_
#define CARO_CACHE_LRU_CORE_H_

#include <cstddef>
#include <cstdint>

namespace caro {

class LruCore {
 public:
  // Most slots one oldest() call reports.
  static constexpr int32_t kVictimBatch = 256;
  // Most operations one applyOps() call takes.
  static constexpr int32_t kOpBatch = 256;
  static constexpr int32_t kNone = -1;

  LruCore() = default;
  ~LruCore();
  LruCore(const LruCore&) = delete;
  LruCore& operator=(const LruCore&) = delete;

  // Makes room for slots below `slots`, each out of the order until an
  // operation links it. False, changing nothing, if storage cannot grow.
  bool reserve(int64_t slots);

  // A batch of operations in order: ops[i] >= 0 makes that slot the most
  // recent, linking it first if it is out of the order (which is how the
  // caller inserts); ops[i] < 0 unlinks slot ~ops[i]. Stops before the first
  // operation that names a slot not reserved, or unlinks one out of the
  // order, and returns how many it applied: n when all were valid.
  int32_t applyOps(const int32_t* ops, int32_t n);

  // Writes up to `k` of the least recent slots to `out`, oldest first;
  // returns how many.
  int32_t oldest(int32_t* out, int32_t k) const;

  // Bounds-checked: is this slot in the order?
  bool isLinked(int64_t slot) const {
    return slot >= 0 && static_cast<uint64_t>(slot) < capacity_ &&
           nodes_[slot].prev != kUnlinked;
  }
  size_t count() const { return count_; }
  int32_t head() const { return head_; }
  // The next slot toward the least recent end, kNone after the tail.
  int32_t next(int32_t slot) const { return nodes_[slot].next; }
  // Bytes of slot storage held now.
  size_t memoryBytes() const { return capacity_ * sizeof(Node); }

  // Unlinks every slot and releases storage.
  void clear();

 private:
  struct Node {
    int32_t prev;  // kUnlinked while out of the order
    int32_t next;
  };
  static_assert(sizeof(Node) == 8, "Node should stay 8 bytes");
  static constexpr int32_t kUnlinked = -2;

  void unlink(int32_t slot);
  void linkHead(int32_t slot);

  Node* nodes_ = nullptr;
  size_t capacity_ = 0;  // reserved Nodes
  int32_t head_ = kNone;
  int32_t tail_ = kNone;
  size_t count_ = 0;
};

}  // namespace caro

#endif  // CARO_CACHE_LRU_CORE_H_
