// Benchmarks of the actor runtime, each beside a baseline measured in the
// same run: message ring throughput (goal >= 10 M msgs/s for 64-byte
// messages) and a 32 MiB actor migration (goal <= 10 ms).
#include <ipipe/runtime/actor.hpp>
#include <ipipe/runtime/actor_context.hpp>
#include <ipipe/runtime/actor_registry.hpp>
#include <ipipe/runtime/msg_ring.hpp>
#include <ipipe/runtime/runtime.hpp>

#include <benchmark/benchmark.h>

#include <atomic>
#include <cstring>
#include <deque>
#include <thread>
#include <vector>

namespace rt = ipipe::runtime;

namespace {

constexpr std::uint32_t msg_bytes = 64;     // payload bytes per message
constexpr std::uint64_t per_iter = 1 << 20; // messages per benchmark iteration

// Spins while the other side is merely slower; yields after a while, in
// case it was descheduled (the two cores are shared with other work).
void backoff(bool stuck, unsigned& idle) {
  if (!stuck) {
    idle = 0;
    return;
  }
  if (++idle < 256) {
    __builtin_ia32_pause();
    return;
  }
  idle = 0;
  std::this_thread::yield();
}

// One producer thread posts batches of 64-byte messages; this thread
// consumes them (copying each payload out, as a real consumer must).
void ring_64B(benchmark::State& state) {
  const auto batch = static_cast<std::uint32_t>(state.range(0));
  auto buf = rt::msg_ring_buffer::create(*rt::msg_ring_geometry::make(1024, 128)).value();
  for (auto _ : state) {
    auto g = buf.geometry();
    std::thread producer([&] {
      rt::msg_ring_producer p{buf.base(), g};
      std::byte payload[msg_bytes]{};
      ipipe_msg_hdr h{};
      h.type = IPIPE_MSG_REQUEST;
      h.dst_actor = 1;
      std::uint64_t sent = 0;
      unsigned idle = 0;
      while (sent < per_iter) {
        std::uint32_t n = 0;
        while (n < batch && sent < per_iter) {
          h.req_id = sent;
          if (!p.post(h, payload))
            break;
          ++n;
          ++sent;
        }
        p.publish();
        backoff(n == 0, idle);
      }
    });
    rt::msg_ring_consumer c{buf.base(), g};
    std::byte sink[msg_bytes];
    std::uint64_t got = 0;
    unsigned idle = 0;
    ipipe_msg_hdr h{};
    std::span<const std::byte> payload;
    while (got < per_iter) {
      std::uint32_t n = 0;
      while (n < batch && c.next(h, payload)) {
        std::memcpy(sink, payload.data(), payload.size());
        benchmark::DoNotOptimize(sink);
        ++n;
      }
      got += n;
      c.release();
      backoff(n == 0, idle);
    }
    producer.join();
    if (c.bad_descriptors() != 0)
      state.SkipWithError("bad descriptors");
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * per_iter));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * per_iter * msg_bytes));
}
BENCHMARK(ring_64B)->Arg(1)->Arg(8)->Arg(32)->UseRealTime()->Unit(benchmark::kMillisecond);

// The same post/consume work on one thread (batches of 32): the ring's own
// cost without cache lines crossing cores or threads being descheduled.
void ring_64B_one_thread(benchmark::State& state) {
  auto buf = rt::msg_ring_buffer::create(*rt::msg_ring_geometry::make(1024, 128)).value();
  rt::msg_ring_producer p{buf.base(), buf.geometry()};
  rt::msg_ring_consumer c{buf.base(), buf.geometry()};
  std::byte payload[msg_bytes]{};
  std::byte sink[msg_bytes];
  ipipe_msg_hdr h{};
  h.type = IPIPE_MSG_REQUEST;
  std::span<const std::byte> view;
  for (auto _ : state) {
    for (std::uint64_t i = 0; i < per_iter; i += 32) {
      for (int k = 0; k < 32; ++k)
        (void)p.post(h, payload);
      p.publish();
      ipipe_msg_hdr got{};
      while (c.next(got, view)) {
        std::memcpy(sink, view.data(), view.size());
        benchmark::DoNotOptimize(sink);
      }
      c.release();
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * per_iter));
}
BENCHMARK(ring_64B_one_thread)->UseRealTime()->Unit(benchmark::kMillisecond);

// Baseline: a plain loop copying the same 64-byte messages (header +
// payload) into a ring-sized buffer, on one thread.
void baseline_copy_64B(benchmark::State& state) {
  std::vector<std::byte> dst(1024 * 128);
  std::byte src[32 + msg_bytes]{};
  for (auto _ : state) {
    for (std::uint64_t i = 0; i < per_iter; ++i) {
      std::memcpy(dst.data() + (i & 1023) * 128, src, sizeof(src));
      benchmark::ClobberMemory();
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * per_iter));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * per_iter * msg_bytes));
}
BENCHMARK(baseline_copy_64B)->UseRealTime()->Unit(benchmark::kMillisecond);

// An actor holding 32 MiB in 512 objects of 64 KiB, like the memtable of
// the paper's RKV (about 32 MB).
constexpr std::uint64_t blob_objects = 512;
constexpr std::uint64_t blob_size = 64 << 10;

class blob_actor final : public rt::actor {
public:
  ipipe::expected<void> init(rt::actor_context& ctx) override {
    std::vector<std::byte> data(blob_size);
    for (std::uint64_t i = 0; i < blob_objects; ++i) {
      auto id = ctx.dmo_malloc(blob_size);
      if (!id)
        return id.err();
      std::memset(data.data(), static_cast<int>(i), data.size());
      if (auto w = ctx.dmo_write(*id, 0, data); !w)
        return w;
    }
    return {};
  }
  void handle(rt::actor_context&, const rt::message&) override {}
};

class noop_actor final : public rt::actor {
public:
  ipipe::expected<void> init(rt::actor_context&) override { return {}; }
  void handle(rt::actor_context&, const rt::message&) override {}
};

void register_types() {
  static const bool done = [] {
    (void)rt::actor_registry::add("b_blob", [] { return std::make_unique<blob_actor>(); });
    (void)rt::actor_registry::add("b_noop", [] { return std::make_unique<noop_actor>(); });
    return true;
  }();
  (void)done;
}

struct migration_pair {
  explicit migration_pair(std::uint32_t mig_entries)
      : rings(rt::peer_rings::create(*rt::msg_ring_geometry::make(256, 8224),
                                     *rt::msg_ring_geometry::make(mig_entries, 65536))
                  .value()),
        nic({.side = IPIPE_LOC_NIC}), host({.side = IPIPE_LOC_HOST}) {
    register_types();
    (void)nic.attach_peer(rings.nic_end());
    (void)host.attach_peer(rings.host_end());
    id = nic.create_actor({.type = "b_blob", .mem_quota = 40 << 20}).value();
    (void)host.add_remote(id, "b_blob");
  }
  rt::peer_rings rings;
  rt::runtime nic;
  rt::runtime host;
  rt::actor_id id = 0;
};

// Migrates the actor back and forth, one direction per iteration. With
// threads = 2 each runtime is pumped by its own thread, as a NIC core and
// a host core would; with 1, one thread pumps both alternately.
void migrate_32MiB(benchmark::State& state) {
  const bool two_threads = state.range(0) == 2;
  migration_pair p{static_cast<std::uint32_t>(state.range(1))};
  std::atomic<bool> stop{false};
  std::thread helper;
  if (two_threads) {
    helper = std::thread([&] {
      while (!stop.load(std::memory_order_relaxed)) {
        if (p.host.pump() == 0)
          std::this_thread::yield();
      }
    });
  }
  bool at_nic = true;
  std::uint64_t phases[4] = {};
  std::uint64_t moved = 0;
  for (auto _ : state) {
    rt::runtime& from = at_nic ? p.nic : p.host;
    rt::runtime& to = at_nic ? p.host : p.nic;
    if (!from.migrate(p.id)) {
      state.SkipWithError("migrate refused");
      break;
    }
    while (!(from.quiet() && to.quiet())) {
      from.pump();
      if (!two_threads || &to == &p.nic)
        to.pump();
    }
    auto recs = from.migrations();
    const auto& r = recs.back();
    phases[0] += r.quiesce_ns;
    phases[1] += r.collect_ns;
    phases[2] += r.transfer_ns;
    phases[3] += r.forward_ns;
    moved = r.bytes;
    at_nic = !at_nic;
  }
  stop = true;
  if (helper.joinable())
    helper.join();
  const double n = static_cast<double>(state.iterations());
  state.counters["quiesce_us"] = static_cast<double>(phases[0]) / n / 1e3;
  state.counters["collect_us"] = static_cast<double>(phases[1]) / n / 1e3;
  state.counters["transfer_us"] = static_cast<double>(phases[2]) / n / 1e3;
  state.counters["forward_us"] = static_cast<double>(phases[3]) / n / 1e3;
  state.counters["MiB"] = static_cast<double>(moved) / (1 << 20);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * moved));
}
// Args: pumping threads (1 or 2), migration ring entries of 64 KiB.
BENCHMARK(migrate_32MiB)
    ->ArgNames({"threads", "entries"})
    ->Args({1, 16})
    ->Args({1, 256})
    ->Args({2, 256})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// Baseline: memcpy of 32 MiB between two buffers already faulted in.
void baseline_memcpy_32MiB(benchmark::State& state) {
  std::vector<std::byte> a(32 << 20, std::byte{1}), b(32 << 20, std::byte{2});
  for (auto _ : state) {
    std::memcpy(b.data(), a.data(), a.size());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * a.size()));
}
BENCHMARK(baseline_memcpy_32MiB)->UseRealTime()->Unit(benchmark::kMillisecond);

// The runtime's share of dispatch: submit() into a mailbox plus run_next()
// of an empty handler, beside a direct virtual call of the same handler.
void dispatch_submit_run_next(benchmark::State& state) {
  register_types();
  rt::runtime r;
  const auto id = r.create_actor({.type = "b_noop", .mem_quota = 4096}).value();
  const auto m = rt::message::make(IPIPE_MSG_REQUEST, id, 0, 1);
  for (auto _ : state) {
    (void)r.submit(m);
    (void)r.next_ready();
    benchmark::DoNotOptimize(r.run_next(id));
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(dispatch_submit_run_next);

void dispatch_execute(benchmark::State& state) {
  register_types();
  rt::runtime r;
  const auto id = r.create_actor({.type = "b_noop", .mem_quota = 4096}).value();
  const auto m = rt::message::make(IPIPE_MSG_REQUEST, id, 0, 1);
  for (auto _ : state)
    benchmark::DoNotOptimize(r.execute(id, m));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(dispatch_execute);

// Baseline: what any mailbox costs at least: copy the message into a
// queue and take it out again.
void baseline_queue_copy(benchmark::State& state) {
  std::deque<rt::message> q;
  const auto m = rt::message::make(IPIPE_MSG_REQUEST, 1, 0, 1);
  for (auto _ : state) {
    q.push_back(m);
    rt::message out = std::move(q.front());
    q.pop_front();
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(baseline_queue_copy);

} // namespace

BENCHMARK_MAIN();
