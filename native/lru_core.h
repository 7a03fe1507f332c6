// LruCore: the size-aware LRU bookkeeping behind caro-cache's native engine.
//
// Plain C++17, no Node-API, no exceptions. Callers name entries by integer
// slot ids it hands out; the key strings stay on the JavaScript side. The TS
// and WASM engines implement the identical algorithm, so slot ids, recency
// order and victims must match theirs operation for operation.
#ifndef CARO_CACHE_LRU_CORE_H_
#define CARO_CACHE_LRU_CORE_H_

#include <cstddef>
#include <cstdint>

namespace caro {

class LruCore {
 public:
  // Most victims one evict() call reports; the caller repeats while it gets
  // exactly this many.
  static constexpr int32_t kVictimBatch = 256;
  // Most operations one applyOps() call takes.
  static constexpr int32_t kOpBatch = 256;
  static constexpr int32_t kNone = -1;

  // insert() results below zero.
  static constexpr int32_t kErrNoMemory = -1;  // storage could not grow
  static constexpr int32_t kErrOverflow = -2;  // total would pass UINT64_MAX

  // Limits arrive as JS numbers: anything >= 2^64 (Infinity included) means
  // unlimited, fractions are truncated, and NaN or negatives become 0 so that
  // garbage can never cause undefined behaviour.
  LruCore(double maxEntries, double maxBytes);
  ~LruCore();
  LruCore(const LruCore&) = delete;
  LruCore& operator=(const LruCore&) = delete;

  static uint64_t limitFromDouble(double value);

  // Hot paths. A slot argument must be live (returned by insert() and not
  // removed or cleared since); they do not check it, see isLive().

  // New entry at the head (MRU), reusing the most recently freed slot first.
  // Returns its slot, or kErrNoMemory / kErrOverflow with nothing changed.
  int32_t insert(uint64_t bytes);
  // New size and move to head. Returns false, changing nothing, only if the
  // total would pass UINT64_MAX.
  bool update(int32_t slot, uint64_t bytes);
  void touch(int32_t slot);
  void remove(int32_t slot);
  // A batch of buffered operations in order: ops[i] >= 0 touches that slot,
  // ops[i] < 0 removes slot ~ops[i]. Checked whole first, so that a slot that
  // is not live when its operation comes (a removal ends a slot's life for
  // the rest of the batch) makes it return false with nothing changed. At
  // most kOpBatch operations.
  bool applyOps(const int32_t* ops, int32_t n);

  // True when evict() would remove something. The head is never a victim.
  bool overLimit() const {
    return count_ > 1 && (count_ > maxEntries_ || total_ > maxBytes_);
  }
  // Removes entries from the tail while over a limit, at most kVictimBatch,
  // writing victims[2i] = slot and victims[2i+1] = its bytes. victims must
  // hold 2 * kVictimBatch doubles. Returns how many were removed.
  int32_t evict(double* victims);

  uint64_t bytes() const { return total_; }
  uint64_t sizeOf(int32_t slot) const { return nodes_[slot].bytes; }
  // Bytes of slot storage held now.
  size_t memoryBytes() const { return capacity_ * sizeof(Node); }
  size_t count() const { return count_; }
  int32_t head() const { return head_; }
  int32_t tail() const { return tail_; }
  // The next slot toward the LRU end, kNone after the tail.
  int32_t next(int32_t slot) const { return nodes_[slot].next; }
  uint64_t maxEntries() const { return maxEntries_; }
  uint64_t maxBytes() const { return maxBytes_; }

  // Slot ids handed out since construction or the last clear(): every slot
  // ever returned by insert() is below this.
  size_t slotCount() const { return size_; }
  // Bounds-checked: is this a slot that the hot paths accept?
  bool isLive(int64_t slot) const {
    return slot >= 0 && static_cast<uint64_t>(slot) < size_ &&
           nodes_[slot].prev != kFreeMark;
  }

  // Forgets every entry and releases storage; limits stay.
  void clear();

 private:
  struct Node {
    int32_t prev;  // kFreeMark while on the free list
    int32_t next;  // the free-list link while on the free list
    uint64_t bytes;
  };
  static_assert(sizeof(Node) == 16, "Node should stay 16 bytes");
  static constexpr int32_t kFreeMark = -2;

  bool grow();
  void unlink(int32_t slot);
  void linkHead(int32_t slot);

  Node* nodes_ = nullptr;
  size_t size_ = 0;      // slot ids in use or on the free list
  size_t capacity_ = 0;  // allocated Nodes
  int32_t head_ = kNone;
  int32_t tail_ = kNone;
  int32_t free_ = kNone;
  uint64_t count_ = 0;
  uint64_t total_ = 0;
  uint64_t maxEntries_;
  uint64_t maxBytes_;
};

}  // namespace caro

#endif  // CARO_CACHE_LRU_CORE_H_
