// Standalone test of LruCore (no Node): targeted cases plus seeded random
// operation streams checked against an obviously correct reference model.
//
//   lru_core_test [--seed N] [--ops N]
//
// --ops is the total number of random operations over all random cases. The
// seed is printed; rerun with it to reproduce a failure.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <iterator>
#include <list>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "../lru_core.h"

using caro::LruCore;

namespace {

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

// The reference: a std::list of slots, most recent first, done the slow way.
class Reference {
 public:
  void makeRecent(int32_t slot) {
    order_.remove(slot);
    order_.push_front(slot);
  }
  void unlink(int32_t slot) { order_.remove(slot); }
  bool linked(int32_t slot) const {
    return std::find(order_.begin(), order_.end(), slot) != order_.end();
  }
  const std::list<int32_t>& order() const { return order_; }

 private:
  std::list<int32_t> order_;
};

std::vector<int32_t> orderOf(const LruCore& core) {
  std::vector<int32_t> out;
  for (int32_t s = core.head(); s != LruCore::kNone; s = core.next(s)) {
    CHECK(out.size() <= core.count(), "the order has a cycle");
    out.push_back(s);
  }
  return out;
}

void compare(const LruCore& core, const Reference& ref) {
  const std::vector<int32_t> expected(ref.order().begin(), ref.order().end());
  CHECK(orderOf(core) == expected, "the order differs");
  CHECK_EQ(core.count(), expected.size());
  int32_t oldest[kBatch];
  const int32_t n = core.oldest(oldest, kBatch);
  CHECK_EQ(static_cast<size_t>(n), std::min<size_t>(expected.size(), kBatch));
  for (int32_t i = 0; i < n; ++i) {
    CHECK_EQ(oldest[i], expected[expected.size() - 1 - i]);
  }
}

void testEmpty() {
  LruCore core;
  CHECK_EQ(core.count(), 0u);
  CHECK_EQ(core.head(), LruCore::kNone);
  CHECK_EQ(core.memoryBytes(), 0u);
  int32_t out[kBatch];
  CHECK_EQ(core.oldest(out, kBatch), 0);
  CHECK(!core.isLinked(0), "nothing reserved");
  const int32_t touch[] = {0};
  CHECK_EQ(core.applyOps(touch, 1), 0);
  CHECK(core.reserve(4), "");
  CHECK_EQ(core.memoryBytes(), 4 * 8u);
  for (int32_t slot = 0; slot < 4; ++slot) CHECK(!core.isLinked(slot), slot);
  core.clear();
  CHECK_EQ(core.memoryBytes(), 0u);
}

// Operations apply in order, links, touches and unlinks mixed; oldest()
// reports from the tail, at most the number asked for.
void testApplyOps() {
  LruCore core;
  CHECK(core.reserve(8), "");
  const int32_t link[] = {0, 1, 2, 3, 4, 5};
  CHECK_EQ(core.applyOps(link, 6), 6);
  // Order MRU..LRU: 5 4 3 2 1 0.
  const int32_t ops[] = {0, ~3, 2, ~5, 0, 1, 1};
  CHECK_EQ(core.applyOps(ops, 7), 7);
  CHECK(orderOf(core) == (std::vector<int32_t>{1, 0, 2, 4}), "");
  CHECK_EQ(core.count(), 4u);
  CHECK(!core.isLinked(3) && !core.isLinked(5) && core.isLinked(4), "");
  int32_t out[kBatch];
  CHECK_EQ(core.oldest(out, 3), 3);
  CHECK(out[0] == 4 && out[1] == 2 && out[2] == 0, "");
  const int32_t relink[] = {5};
  CHECK_EQ(core.applyOps(relink, 1), 1);
  CHECK_EQ(core.head(), 5);
  CHECK_EQ(core.count(), 5u);
}

// A bad operation stops the batch before it: the ones before it applied.
void testBadOps() {
  LruCore core;
  CHECK(core.reserve(4), "");
  const int32_t link[] = {0, 1, 2};
  CHECK_EQ(core.applyOps(link, 3), 3);
  const auto stopsAt = [&](std::vector<int32_t> batch, int32_t at,
                           const char* what) {
    CHECK_EQ(core.applyOps(batch.data(), static_cast<int32_t>(batch.size())),
             at);
    CHECK(orderOf(core).size() == core.count(), what);
  };
  stopsAt({~3}, 0, "unlinking a slot out of the order");
  stopsAt({~0, ~0}, 1, "unlinking a slot twice");
  CHECK(!core.isLinked(0), "the first unlink applied");
  stopsAt({4}, 0, "a slot not reserved");
  stopsAt({INT32_MAX}, 0, "INT32_MAX");
  stopsAt({INT32_MIN}, 0, "INT32_MIN");
  stopsAt({~4}, 0, "unlinking a slot not reserved");
  CHECK(orderOf(core) == (std::vector<int32_t>{2, 1}), "");
}

// Well past a million slots, reserved in doubling steps as the JavaScript
// side does, and reported oldest first in batches.
void testGrowth() {
  constexpr int32_t kN = 1'200'000;
  LruCore core;
  std::vector<int32_t> ops;
  for (int32_t slot = 0; slot < kN; ++slot) {
    if (slot == 0 || (slot & (slot - 1)) == 0) {
      CHECK(core.reserve(std::max(64, 2 * slot)), slot);
    }
    ops.push_back(slot);
    if (ops.size() == LruCore::kOpBatch) {
      CHECK_EQ(core.applyOps(ops.data(), LruCore::kOpBatch), LruCore::kOpBatch);
      ops.clear();
    }
  }
  CHECK_EQ(core.applyOps(ops.data(), static_cast<int32_t>(ops.size())),
           static_cast<int32_t>(ops.size()));
  CHECK_EQ(core.count(), static_cast<size_t>(kN));
  int32_t out[kBatch];
  for (int32_t round = 0; round < 3; ++round) {
    CHECK_EQ(core.oldest(out, kBatch), kBatch);
    for (int32_t i = 0; i < kBatch; ++i) {
      CHECK_EQ(out[i], round * kBatch + i);
      ops.assign(1, ~out[i]);
      CHECK_EQ(core.applyOps(ops.data(), 1), 1);
    }
  }
  CHECK(!core.reserve(static_cast<int64_t>(INT32_MAX) + 2), "past int32 slots");
  core.clear();
  CHECK_EQ(core.count(), 0u);
  CHECK_EQ(core.memoryBytes(), 0u);
}

// Random batches of links, touches and unlinks over a few slot ranges,
// compared with the reference after every batch.
void testRandom(uint64_t seed, long totalOps) {
  std::mt19937_64 rng(seed);
  const int32_t ranges[] = {1, 2, 5, 40, 600};
  long done = 0;
  for (int round = 0; done < totalOps; ++round) {
    const int32_t slots = ranges[round % std::size(ranges)];
    g_context = "round " + std::to_string(round) + ", " +
                std::to_string(slots) + " slots";
    LruCore core;
    Reference ref;
    CHECK(core.reserve(slots), "");
    for (int batchNo = 0; batchNo < 200 && done < totalOps; ++batchNo) {
      std::vector<int32_t> batch;
      const int32_t n = static_cast<int32_t>(rng() % (LruCore::kOpBatch + 1));
      for (int32_t i = 0; i < n; ++i) {
        const int32_t slot = static_cast<int32_t>(rng() % slots);
        if (ref.linked(slot) && rng() % 3 == 0) {
          batch.push_back(~slot);
          ref.unlink(slot);
        } else {
          batch.push_back(slot);
          ref.makeRecent(slot);
        }
      }
      CHECK_EQ(core.applyOps(batch.data(), n), n);
      compare(core, ref);
      done += n;
      if (rng() % 50 == 0) {
        core.clear();
        ref = Reference();
        CHECK(core.reserve(slots), "");
      }
    }
  }
  g_context.clear();
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t seed = 1;
  long ops = 200000;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--seed") == 0) {
      seed = std::strtoull(argv[i + 1], nullptr, 10);
    } else if (std::strcmp(argv[i], "--ops") == 0) {
      ops = std::strtol(argv[i + 1], nullptr, 10);
    }
  }
  std::printf("lru_core_test: seed %llu, %ld random operations\n",
              static_cast<unsigned long long>(seed), ops);
  const struct {
    const char* name;
    std::function<void()> run;
  } tests[] = {
      {"empty", testEmpty},
      {"applyOps", testApplyOps},
      {"a bad operation stops its batch", testBadOps},
      {"growth past 1,000,000 slots", testGrowth},
      {"random operations", [&] { testRandom(seed, ops); }},
  };
  int failed = 0;
  for (const auto& t : tests) {
    try {
      t.run();
      std::printf("ok   %s\n", t.name);
    } catch (const Failure& f) {
      std::printf("FAIL %s\n  %s\n", t.name, f.message.c_str());
      ++failed;
    }
  }
  return failed == 0 ? 0 : 1;
}
