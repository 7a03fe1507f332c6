// Standalone test of LruCore (no Node): targeted cases plus seeded random
// operation streams checked against an obviously correct reference model.
//
//   lru_core_test [--seed N] [--ops N]
//
// --ops is the total number of random operations over all random cases. The
// seed is printed; rerun with it to reproduce a failure.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <functional>
#include <iterator>
#include <limits>
#include <list>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "../lru_core.h"

using caro::LruCore;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr uint64_t kMaxSafe = (uint64_t{1} << 53) - 1;
constexpr int32_t kBatch = LruCore::kVictimBatch;

struct Failure {
  std::string message;
};

std::string g_context;  // what the current random case is doing

#define CHECK(cond, ...)                                                  \
  do {                                                                    \
    if (!(cond)) {                                                        \
      std::ostringstream os_;                                             \
      os_ << __FILE__ << ":" << __LINE__ << ": CHECK(" #cond ") failed"; \
      os_ << " " << __VA_ARGS__;                                          \
      if (!g_context.empty()) os_ << " [" << g_context << "]";            \
      throw Failure{os_.str()};                                           \
    }                                                                     \
  } while (0)

#define CHECK_EQ(a, b) CHECK((a) == (b), #a " = " << (a) << ", " #b " = " << (b))

// The reference: a std::list for recency (front = MRU), a std::map for the
// live entries and a vector as the LIFO free list, all done the slow way.
class Reference {
 public:
  Reference(uint64_t maxEntries, uint64_t maxBytes)
      : maxEntries_(maxEntries), maxBytes_(maxBytes) {}

  int32_t insert(uint64_t bytes) {
    if (static_cast<unsigned __int128>(total_) + bytes > UINT64_MAX) {
      return LruCore::kErrOverflow;
    }
    int32_t slot;
    if (!free_.empty()) {
      slot = free_.back();
      free_.pop_back();
    } else {
      slot = next_++;
    }
    order_.push_front(slot);
    live_[slot] = Entry{order_.begin(), bytes};
    total_ += bytes;
    addLive(slot);
    return slot;
  }

  bool update(int32_t slot, uint64_t bytes) {
    Entry& e = live_.at(slot);
    unsigned __int128 t = static_cast<unsigned __int128>(total_) - e.bytes + bytes;
    if (t > UINT64_MAX) return false;
    total_ = static_cast<uint64_t>(t);
    e.bytes = bytes;
    touch(slot);
    return true;
  }

  void touch(int32_t slot) {
    Entry& e = live_.at(slot);
    order_.erase(e.it);
    order_.push_front(slot);
    e.it = order_.begin();
  }

  void remove(int32_t slot) {
    Entry& e = live_.at(slot);
    order_.erase(e.it);
    total_ -= e.bytes;
    live_.erase(slot);
    free_.push_back(slot);
    dropLive(slot);
  }

  std::vector<std::pair<int32_t, uint64_t>> evict() {
    std::vector<std::pair<int32_t, uint64_t>> out;
    while (out.size() < static_cast<size_t>(kBatch) && live_.size() > 1 &&
           (live_.size() > maxEntries_ || total_ > maxBytes_)) {
      const int32_t victim = order_.back();
      out.emplace_back(victim, live_.at(victim).bytes);
      remove(victim);
    }
    return out;
  }

  void clear() {
    order_.clear();
    live_.clear();
    free_.clear();
    liveVec_.clear();
    liveIndex_.clear();
    next_ = 0;
    total_ = 0;
  }

  size_t count() const { return live_.size(); }
  uint64_t total() const { return total_; }
  int32_t slotCount() const { return next_; }
  bool isLive(int32_t slot) const { return live_.count(slot) != 0; }
  uint64_t bytesOf(int32_t slot) const { return live_.at(slot).bytes; }
  const std::list<int32_t>& order() const { return order_; }
  int32_t randomLive(std::mt19937_64& rng) const {
    return liveVec_[rng() % liveVec_.size()];
  }

 private:
  struct Entry {
    std::list<int32_t>::iterator it;
    uint64_t bytes;
  };

  // An unordered copy of the live slots, for picking one at random.
  void addLive(int32_t slot) {
    if (liveIndex_.size() <= static_cast<size_t>(slot)) liveIndex_.resize(slot + 1);
    liveIndex_[slot] = liveVec_.size();
    liveVec_.push_back(slot);
  }
  void dropLive(int32_t slot) {
    const size_t i = liveIndex_[slot];
    liveVec_[i] = liveVec_.back();
    liveIndex_[liveVec_[i]] = i;
    liveVec_.pop_back();
  }

  uint64_t maxEntries_;
  uint64_t maxBytes_;
  std::list<int32_t> order_;
  std::map<int32_t, Entry> live_;
  std::vector<int32_t> free_;
  std::vector<int32_t> liveVec_;
  std::vector<size_t> liveIndex_;
  int32_t next_ = 0;
  uint64_t total_ = 0;
};

// Compares everything observable. The full walk is O(n), so big states are
// walked only when `full` is set.
void compare(const LruCore& core, const Reference& ref, bool full) {
  CHECK_EQ(core.count(), ref.count());
  CHECK_EQ(core.bytes(), ref.total());
  CHECK_EQ(core.slotCount(), static_cast<size_t>(ref.slotCount()));
  const int32_t head = ref.count() ? ref.order().front() : LruCore::kNone;
  const int32_t tail = ref.count() ? ref.order().back() : LruCore::kNone;
  CHECK_EQ(core.head(), head);
  CHECK_EQ(core.tail(), tail);
  CHECK(!core.isLive(-1), "");
  CHECK(!core.isLive(ref.slotCount()), "");
  CHECK(!core.isLive(INT64_MAX), "");
  if (!full) return;
  size_t seen = 0;
  int32_t s = core.head();
  for (int32_t expected : ref.order()) {
    CHECK(s != LruCore::kNone, "order ends early at position " << seen);
    CHECK_EQ(s, expected);
    s = core.next(s);
    ++seen;
  }
  CHECK(s == LruCore::kNone, "order longer than count, next slot " << s);
  for (int32_t slot = 0; slot < ref.slotCount(); ++slot) {
    CHECK(core.isLive(slot) == ref.isLive(slot), "isLive(" << slot << ")");
  }
}

// One evict() call on both, victims compared pair by pair.
int32_t evictBoth(LruCore& core, Reference& ref) {
  double victims[2 * kBatch + 2];  // plus a canary past the end
  std::fill(std::begin(victims), std::end(victims), -7.0);
  const int32_t n = core.evict(victims);
  const auto expected = ref.evict();
  CHECK_EQ(static_cast<size_t>(n), expected.size());
  for (int32_t i = 0; i < n; ++i) {
    CHECK(victims[2 * i] == expected[i].first,
          "victim " << i << " slot " << victims[2 * i] << " expected "
                    << expected[i].first);
    CHECK(victims[2 * i + 1] == static_cast<double>(expected[i].second),
          "victim " << i << " bytes " << victims[2 * i + 1] << " expected "
                    << expected[i].second);
  }
  CHECK(victims[2 * n] == -7.0, "evict wrote past its count");
  return n;
}

// What the JS side does after every set: evict until a short batch.
int evictLoop(LruCore& core, Reference& ref) {
  int batches = 0;
  while (evictBoth(core, ref) == kBatch) ++batches;
  CHECK(!core.overLimit(), "still over a limit after the evict loop");
  return batches;
}

// ---------------------------------------------------------------- targeted

void testLimitFromDouble() {
  CHECK_EQ(LruCore::limitFromDouble(kInf), UINT64_MAX);
  CHECK_EQ(LruCore::limitFromDouble(1e300), UINT64_MAX);
  CHECK_EQ(LruCore::limitFromDouble(18446744073709551616.0), UINT64_MAX);
  CHECK_EQ(LruCore::limitFromDouble(18446744073709549568.0),
           uint64_t{18446744073709549568u});  // largest double below 2^64
  CHECK_EQ(LruCore::limitFromDouble(static_cast<double>(kMaxSafe)), kMaxSafe);
  CHECK_EQ(LruCore::limitFromDouble(1), 1u);
  CHECK_EQ(LruCore::limitFromDouble(3.7), 3u);
  CHECK_EQ(LruCore::limitFromDouble(0), 0u);
  CHECK_EQ(LruCore::limitFromDouble(-0.0), 0u);
  CHECK_EQ(LruCore::limitFromDouble(-5), 0u);
  CHECK_EQ(LruCore::limitFromDouble(-kInf), 0u);
  CHECK_EQ(LruCore::limitFromDouble(std::nan("")), 0u);
  LruCore core(kInf, kInf);
  CHECK_EQ(core.maxEntries(), UINT64_MAX);
  CHECK_EQ(core.maxBytes(), UINT64_MAX);
}

void testEmpty() {
  LruCore core(1, 0);
  double victims[2 * kBatch];
  CHECK_EQ(core.count(), 0u);
  CHECK_EQ(core.bytes(), 0u);
  CHECK_EQ(core.head(), LruCore::kNone);
  CHECK_EQ(core.tail(), LruCore::kNone);
  CHECK_EQ(core.slotCount(), 0u);
  CHECK(!core.isLive(0), "");
  CHECK(!core.overLimit(), "");
  CHECK_EQ(core.evict(victims), 0);
  core.clear();
  CHECK_EQ(core.insert(9), 0);
  core.clear();
  core.clear();
  CHECK_EQ(core.slotCount(), 0u);
  CHECK_EQ(core.insert(3), 0);
  CHECK_EQ(core.bytes(), 3u);
}

void testMaxEntriesOne() {
  LruCore core(1, kInf);
  Reference ref(1, UINT64_MAX);
  for (int i = 0; i < 50; ++i) {
    CHECK_EQ(core.insert(i), ref.insert(i));
    compare(core, ref, true);
    CHECK_EQ(evictBoth(core, ref), i == 0 ? 0 : 1);
    compare(core, ref, true);
    CHECK_EQ(core.count(), 1u);
  }
  // Over the limit without evicting, then one call takes all but the head.
  for (int i = 0; i < 600; ++i) CHECK_EQ(core.insert(1), ref.insert(1));
  CHECK_EQ(evictBoth(core, ref), kBatch);
  CHECK_EQ(evictBoth(core, ref), kBatch);
  CHECK_EQ(evictBoth(core, ref), 600 - 2 * kBatch);
  CHECK_EQ(evictBoth(core, ref), 0);
  compare(core, ref, true);
}

void testMaxBytesZero() {
  LruCore core(kInf, 0);
  Reference ref(UINT64_MAX, 0);
  const int32_t a = core.insert(5);
  CHECK_EQ(a, ref.insert(5));
  CHECK_EQ(evictBoth(core, ref), 0);  // the head alone is never evicted
  CHECK_EQ(core.count(), 1u);
  const int32_t b = core.insert(0);
  CHECK_EQ(b, ref.insert(0));
  CHECK_EQ(evictBoth(core, ref), 1);  // a goes, though b is the smaller
  CHECK(!core.isLive(a), "");
  CHECK(core.isLive(b), "");
  CHECK_EQ(core.bytes(), 0u);
  const int32_t c = core.insert(0);
  CHECK_EQ(c, ref.insert(0));
  CHECK_EQ(c, a);  // freed slot reused
  CHECK_EQ(evictBoth(core, ref), 0);  // zero-byte entries fit in 0 bytes
  CHECK(core.update(b, 1), "");
  CHECK(ref.update(b, 1), "");
  CHECK_EQ(evictBoth(core, ref), 1);  // b is now head, so c goes
  compare(core, ref, true);
  CHECK_EQ(core.head(), b);
  CHECK_EQ(core.bytes(), 1u);
}

void testHugeSizes() {
  // 2^53 - 1 bytes is the largest size JS can hand over exactly.
  LruCore core(kInf, static_cast<double>(kMaxSafe));
  Reference ref(UINT64_MAX, kMaxSafe);
  CHECK_EQ(core.insert(kMaxSafe), ref.insert(kMaxSafe));
  CHECK_EQ(evictBoth(core, ref), 0);
  CHECK_EQ(core.bytes(), kMaxSafe);
  CHECK_EQ(core.insert(1), ref.insert(1));
  CHECK_EQ(core.bytes(), kMaxSafe + 1);
  CHECK_EQ(evictBoth(core, ref), 1);
  CHECK_EQ(core.bytes(), 1u);
  compare(core, ref, true);

  // With no byte limit the total goes past 2^53 and stays exact.
  LruCore big(kInf, kInf);
  Reference bigRef(UINT64_MAX, UINT64_MAX);
  for (int i = 0; i < 1000; ++i) {
    const uint64_t bytes = kMaxSafe - static_cast<uint64_t>(i);
    CHECK_EQ(big.insert(bytes), bigRef.insert(bytes));
  }
  compare(big, bigRef, true);
  CHECK_EQ(big.bytes(), 1000 * kMaxSafe - 999 * 1000 / 2);
  big.remove(500);
  bigRef.remove(500);
  CHECK(big.update(7, 0), "");
  CHECK(bigRef.update(7, 0), "");
  compare(big, bigRef, true);
}

void testOverflow() {
  LruCore core(kInf, kInf);
  const int32_t a = core.insert(UINT64_MAX - 5);
  CHECK_EQ(a, 0);
  const int32_t b = core.insert(5);
  CHECK_EQ(b, 1);
  CHECK_EQ(core.bytes(), UINT64_MAX);
  CHECK_EQ(core.insert(1), LruCore::kErrOverflow);
  CHECK_EQ(core.count(), 2u);
  CHECK_EQ(core.slotCount(), 2u);
  CHECK_EQ(core.head(), b);
  CHECK(!core.update(a, UINT64_MAX - 4), "");
  CHECK_EQ(core.head(), b);  // a failed update does not touch
  CHECK_EQ(core.bytes(), UINT64_MAX);
  CHECK(core.update(a, UINT64_MAX - 6), "");
  CHECK_EQ(core.head(), a);
  CHECK_EQ(core.bytes(), UINT64_MAX - 1);
  CHECK_EQ(core.insert(1), 2);
  CHECK_EQ(core.insert(0), 3);
  core.remove(0);
  CHECK_EQ(core.bytes(), 6u);
}

void testFreeListIsLifo() {
  LruCore core(kInf, kInf);
  for (int i = 0; i < 5; ++i) CHECK_EQ(core.insert(10), i);
  core.remove(1);
  core.remove(3);
  CHECK(!core.isLive(1) && !core.isLive(3), "");
  CHECK_EQ(core.insert(1), 3);
  CHECK_EQ(core.insert(1), 1);
  CHECK_EQ(core.insert(1), 5);
  CHECK_EQ(core.slotCount(), 6u);
  // Order MRU..LRU is now 5 1 3 4 2 0; touching the head changes nothing.
  core.touch(5);
  core.touch(0);
  const int32_t expected[] = {0, 5, 1, 3, 4, 2};
  int32_t s = core.head();
  for (int32_t e : expected) {
    CHECK_EQ(s, e);
    s = core.next(s);
  }
  CHECK_EQ(s, LruCore::kNone);
  CHECK_EQ(core.tail(), 2);
}

// Buffered operations apply in order, touches and removals mixed, and a
// batch that names a slot not live at its turn changes nothing.
void testApplyOps() {
  LruCore core(kInf, kInf);
  for (int i = 0; i < 6; ++i) CHECK_EQ(core.insert(10 + i), i);
  // Order MRU..LRU: 5 4 3 2 1 0.
  const int32_t ops[] = {0, ~3, 2, ~5, 0, 1};
  CHECK(core.applyOps(ops, 6), "");
  const int32_t expected[] = {1, 0, 2, 4};
  int32_t s = core.head();
  for (int32_t e : expected) {
    CHECK_EQ(s, e);
    s = core.next(s);
  }
  CHECK_EQ(s, LruCore::kNone);
  CHECK_EQ(core.count(), 4u);
  CHECK_EQ(core.bytes(), 10u + 11 + 12 + 14);
  CHECK_EQ(core.insert(1), 5);  // the last slot removed is the first reused

  const auto unchanged = [&](const int32_t* batch, int32_t n, const char* what) {
    const uint64_t bytes = core.bytes();
    const size_t count = core.count();
    const int32_t head = core.head();
    CHECK(!core.applyOps(batch, n), what);
    CHECK(core.bytes() == bytes && core.count() == count && core.head() == head, what);
    for (int32_t slot : {0, 1, 2, 4, 5}) CHECK(core.isLive(slot), what << ": slot " << slot);
    CHECK(!core.isLive(3), what);
  };
  const int32_t touchAfterRemove[] = {4, ~2, 1, 2};
  unchanged(touchAfterRemove, 4, "a touch after its slot's removal");
  const int32_t removeTwice[] = {~0, ~1, ~0};
  unchanged(removeTwice, 3, "a slot removed twice");
  const int32_t freeSlot[] = {1, ~3};
  unchanged(freeSlot, 2, "a free slot");
  const int32_t outOfRange[] = {~6, INT32_MIN, INT32_MAX};
  unchanged(outOfRange, 1, "a slot never handed out");
  unchanged(outOfRange + 1, 1, "INT32_MIN");
  unchanged(outOfRange + 2, 1, "INT32_MAX");
  int32_t tooMany[LruCore::kOpBatch + 1] = {};
  unchanged(tooMany, LruCore::kOpBatch + 1, "more than a batch");
  CHECK(core.applyOps(tooMany, LruCore::kOpBatch), "a full batch of touches");
  CHECK_EQ(core.head(), 0);
}

// Well past a million slots: ids are handed out densely, freed ones come back
// last-in first-out, and a single overflowing set can evict a million.
void testGrowth() {
  constexpr int32_t kN = 1'200'000;
  {
    LruCore core(kInf, kInf);
    uint64_t total = 0;
    for (int32_t i = 0; i < kN; ++i) {
      const int32_t slot = core.insert(static_cast<uint64_t>(i % 1000));
      CHECK(slot == i, "insert " << i << " gave " << slot);
      total += static_cast<uint64_t>(i % 1000);
    }
    CHECK_EQ(core.count(), static_cast<size_t>(kN));
    CHECK_EQ(core.bytes(), total);
    int32_t s = core.head();
    for (int32_t i = kN - 1; i >= 0; --i) {
      CHECK(s == i, "order at " << i << " is " << s);
      s = core.next(s);
    }
    CHECK_EQ(s, LruCore::kNone);
    for (int32_t i = 0; i < kN; i += 2) {
      core.remove(i);
      total -= static_cast<uint64_t>(i % 1000);
    }
    CHECK_EQ(core.bytes(), total);
    for (int32_t i = kN - 2; i >= 0; i -= 2) {
      const int32_t slot = core.insert(1);
      CHECK(slot == i, "reinsert expected " << i << " got " << slot);
    }
    CHECK_EQ(core.insert(1), kN);
    CHECK_EQ(core.count(), static_cast<size_t>(kN + 1));
    core.clear();
    CHECK_EQ(core.count(), 0u);
    CHECK_EQ(core.slotCount(), 0u);
    CHECK_EQ(core.insert(4), 0);
  }
  {
    // A full cache of a million: each set evicts exactly the oldest, whose
    // slot the next set reuses.
    constexpr int32_t kCap = 1'000'000;
    LruCore core(kCap, kInf);
    std::deque<int32_t> fifo;  // oldest at the front
    double victims[2 * kBatch];
    int32_t lastVictim = LruCore::kNone;
    for (int32_t i = 0; i < kCap + 5000; ++i) {
      const int32_t slot = core.insert(static_cast<uint64_t>(i));
      fifo.push_back(slot);
      const int32_t n = core.evict(victims);
      if (i < kCap) {
        CHECK(slot == i && n == 0, "fill " << i);
      } else {
        CHECK(n == 1, "set " << i << " evicted " << n);
        CHECK(victims[0] == fifo.front() &&
                  victims[1] == static_cast<double>(i - kCap),
              "set " << i << " victim " << victims[0]);
        fifo.pop_front();
        CHECK(i == kCap ? slot == kCap : slot == lastVictim,
              "set " << i << " got slot " << slot);
        lastVictim = static_cast<int32_t>(victims[0]);
      }
    }
    CHECK_EQ(core.count(), static_cast<size_t>(kCap));
    CHECK_EQ(core.slotCount(), static_cast<size_t>(kCap + 1));
  }
  {
    constexpr int32_t kCount = 1'100'000;
    LruCore core(kInf, kCount);
    for (int32_t i = 0; i < kCount; ++i) CHECK_EQ(core.insert(1), i);
    double victims[2 * kBatch];
    CHECK_EQ(core.evict(victims), 0);
    const int32_t big = core.insert(1'000'000);
    int32_t next = 0;
    int32_t n;
    do {
      n = core.evict(victims);
      for (int32_t i = 0; i < n; ++i) {
        CHECK(victims[2 * i] == next && victims[2 * i + 1] == 1,
              "victim " << next);
        ++next;
      }
    } while (n == kBatch);
    CHECK_EQ(next, 1'000'000);
    CHECK_EQ(core.count(), static_cast<size_t>(kCount - 1'000'000 + 1));
    CHECK_EQ(core.bytes(), static_cast<uint64_t>(kCount));
    CHECK_EQ(core.head(), big);
    CHECK_EQ(core.tail(), 1'000'000);
  }
}

// ---------------------------------------------------------------- random

struct RandomCase {
  double maxEntries;
  double maxBytes;
  const char* sizes;  // which byte-size mix to draw from
};

uint64_t drawBytes(std::mt19937_64& rng, const char* sizes, uint64_t maxBytes) {
  const uint64_t r = rng() % 100;
  if (std::strcmp(sizes, "huge") == 0) {
    if (r < 60) return kMaxSafe - rng() % 4096;
    if (r < 80) return rng() % (kMaxSafe + 1);
    return rng() % 4;
  }
  if (std::strcmp(sizes, "giant") == 0) {
    // Beyond what JS can pass, to drive the total into uint64 overflow.
    if (r < 40) return rng();
    if (r < 60) return UINT64_MAX - rng() % 3;
    return rng() % 4;
  }
  if (std::strcmp(sizes, "mixed") == 0) {
    if (r < 60) return rng() % 4;
    if (r < 90) return rng() % 100'000;
    if (r < 97) {
      // Around the byte limit, to make one set evict many.
      const uint64_t base = maxBytes == UINT64_MAX ? 1'000'000 : maxBytes;
      return base - std::min<uint64_t>(base, rng() % 3) + rng() % 3;
    }
    return kMaxSafe - rng() % 2;
  }
  return rng() % 16;  // "small"
}

void runRandomCase(const RandomCase& c, uint64_t seed, int ops) {
  std::mt19937_64 rng(seed);
  LruCore core(c.maxEntries, c.maxBytes);
  Reference ref(LruCore::limitFromDouble(c.maxEntries),
                LruCore::limitFromDouble(c.maxBytes));
  const uint64_t maxBytes = LruCore::limitFromDouble(c.maxBytes);
  for (int op = 0; op < ops; ++op) {
    const uint64_t r = rng() % 1000;
    std::ostringstream what;
    if (r < 350 || ref.count() == 0) {
      const uint64_t bytes = drawBytes(rng, c.sizes, maxBytes);
      what << "insert(" << bytes << ")";
      g_context = what.str();
      const int32_t slot = core.insert(bytes);
      CHECK_EQ(slot, ref.insert(bytes));
      if (rng() % 10 < 8) evictLoop(core, ref);
    } else if (r < 500) {
      const int32_t slot = ref.randomLive(rng);
      const uint64_t bytes = drawBytes(rng, c.sizes, maxBytes);
      what << "update(" << slot << ", " << bytes << ")";
      g_context = what.str();
      const bool ok = core.update(slot, bytes);
      CHECK_EQ(ok, ref.update(slot, bytes));
      if (rng() % 10 < 8) evictLoop(core, ref);
    } else if (r < 750) {
      // Touch the head now and then: the cheap path.
      const int32_t slot = rng() % 8 == 0 ? ref.order().front() : ref.randomLive(rng);
      what << "touch(" << slot << ")";
      g_context = what.str();
      core.touch(slot);
      ref.touch(slot);
    } else if (r < 900) {
      const int32_t slot = ref.randomLive(rng);
      what << "remove(" << slot << ")";
      g_context = what.str();
      core.remove(slot);
      ref.remove(slot);
    } else if (r < 930) {
      // A buffered batch as the JS side sends it: touches and removals.
      std::vector<int32_t> batch;
      const int32_t n = 1 + rng() % LruCore::kOpBatch;
      what << "applyOps(" << n << ":";
      for (int32_t i = 0; i < n && ref.count() > 0; ++i) {
        const int32_t slot = ref.randomLive(rng);
        if (rng() % 4 == 0) {
          batch.push_back(~slot);
          ref.remove(slot);
        } else {
          batch.push_back(slot);
          ref.touch(slot);
        }
        what << " " << batch.back();
      }
      what << ")";
      g_context = what.str();
      CHECK(core.applyOps(batch.data(), static_cast<int32_t>(batch.size())), "");
    } else if (r < 999) {
      g_context = "evict()";
      evictBoth(core, ref);
    } else {
      g_context = "clear()";
      core.clear();
      ref.clear();
    }
    g_context = "after op " + std::to_string(op) + " " + g_context;
    compare(core, ref, ref.count() <= 256 || op % 64 == 0 || op == ops - 1);
  }
  g_context.clear();
}

void testRandom(uint64_t seed, long totalOps) {
  const double kSafe = static_cast<double>(kMaxSafe);
  const RandomCase cases[] = {
      {1, kInf, "small"},         {1, kInf, "huge"},
      {2, kInf, "small"},         {3, 20, "small"},
      {7, kInf, "mixed"},         {64, 1000, "small"},
      {1000, kInf, "small"},      {kInf, kInf, "small"},
      {kInf, kInf, "huge"},       {kInf, 0, "small"},
      {kInf, 0, "mixed"},         {1, 0, "small"},
      {kInf, 1, "small"},         {kInf, 1000, "mixed"},
      {kInf, 100'000, "mixed"},   {300, 1'000'000, "mixed"},
      {kInf, kSafe, "huge"},      {5, kSafe, "huge"},
      {kInf, 2 * kSafe, "huge"},  {kInf, kSafe, "mixed"},
      {kInf, kInf, "giant"},      {4, kInf, "giant"},
      {kInf, 1e19, "giant"},
  };
  constexpr int kRounds = 3;
  const long perCase =
      std::max<long>(100, totalOps / (kRounds * static_cast<long>(std::size(cases))));
  std::mt19937_64 seeds(seed);
  for (int round = 0; round < kRounds; ++round) {
    for (const RandomCase& c : cases) {
      const uint64_t caseSeed = seeds();
      try {
        runRandomCase(c, caseSeed, static_cast<int>(perCase));
      } catch (Failure& f) {
        std::ostringstream os;
        os << f.message << " (case maxEntries=" << c.maxEntries
           << " maxBytes=" << c.maxBytes << " sizes=" << c.sizes
           << " round " << round << ")";
        f.message = os.str();
        throw;
      }
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t seed = std::random_device{}();
  long ops = 2'000'000;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
      seed = std::strtoull(argv[++i], nullptr, 10);
    } else if (std::strcmp(argv[i], "--ops") == 0 && i + 1 < argc) {
      ops = std::strtol(argv[++i], nullptr, 10);
    } else {
      std::fprintf(stderr, "usage: %s [--seed N] [--ops N]\n", argv[0]);
      return 2;
    }
  }
  std::printf("lru_core_test: seed %llu, %ld random ops\n",
              static_cast<unsigned long long>(seed), ops);
  std::fflush(stdout);

  const std::pair<const char*, std::function<void()>> tests[] = {
      {"limitFromDouble", testLimitFromDouble},
      {"empty", testEmpty},
      {"maxEntries 1", testMaxEntriesOne},
      {"maxBytes 0", testMaxBytesZero},
      {"huge sizes", testHugeSizes},
      {"uint64 overflow", testOverflow},
      {"LIFO free list", testFreeListIsLifo},
      {"applyOps", testApplyOps},
      {"growth past 1,000,000 slots", testGrowth},
      {"random operations", [&] { testRandom(seed, ops); }},
  };
  int passed = 0;
  int failed = 0;
  for (const auto& [name, run] : tests) {
    try {
      run();
      ++passed;
      std::printf("ok   %s\n", name);
    } catch (const Failure& f) {
      ++failed;
      g_context.clear();
      std::printf("FAIL %s: %s\n  reproduce: lru_core_test --seed %llu --ops %ld\n",
                  name, f.message.c_str(), static_cast<unsigned long long>(seed),
                  ops);
    }
    std::fflush(stdout);
  }
  std::printf("lru_core_test: %d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
