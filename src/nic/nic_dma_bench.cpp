// DMA throughput of the emulated NIC beside plain memcpy of the same sizes,
// between the same two memories (host memfd -> NIC data area in BAR2):
//   memcpy          the baseline
//   dma_engine      the DMA engine called directly: copy + CRC32C, and
//                   dma_engine_copy with IPIPE_DMA_F_NO_CRC (copy only)
//   dma_admin_queue end to end: SG list, admin SQ, doorbell, firmware
//                   thread, completion, MSI-X; 4 to 8 commands in flight
//                   (and dma_admin_queue_copy without the CRC)
#include <ipipe/nic/attach.hpp>
#include <ipipe/nic/crc32c.hpp>
#include <ipipe/nic/dma_engine.hpp>
#include <ipipe/nic/emulator.hpp>
#include <ipipe/nic/memfd_host_memory.hpp>

#include <benchmark/benchmark.h>

#include <unistd.h>

#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

using namespace ipipe;
using namespace ipipe::nic;
using namespace std::chrono_literals;

namespace {

constexpr std::uint64_t host_size = 64 << 20;
constexpr std::size_t max_size = 4 << 20;

// One emulator and one attachment for the whole run.
struct bench_nic {
  bench_nic() {
    emulator_config c;
    c.socket_path = "/tmp/ipipe-nic-bench-" + std::to_string(::getpid()) + ".sock";
    c.host_mem.type = host_mem_spec::kind::memfd;
    c.host_mem.size = host_size;
    c.nic_mem_size = 64 << 20;
    c.fw.cores = 1;
    auto e = emulator::create(c);
    if (!e)
      throw std::runtime_error(e.err().message());
    emu = std::move(*e);
    thread = std::thread([this] { (void)emu->run(); });
    auto a = attachment::connect(c.socket_path);
    if (!a)
      throw std::runtime_error(a.err().message());
    att = std::move(*a);
    src = *att->alloc(max_size, 4096);
    std::memset(src.ptr, 0x5a, max_size);
    sgl = *att->alloc(64 * 16 * sizeof(ipipe_dma_seg), 4096);
  }
  ~bench_nic() {
    att.reset();
    emu->request_stop();
    thread.join();
  }
  std::unique_ptr<emulator> emu;
  std::thread thread;
  std::unique_ptr<attachment> att;
  host_buffer src;
  host_buffer sgl;
};

bench_nic& nic() {
  static bench_nic n;
  return n;
}

ipipe_admin_cmd dma_cmd(const bench_nic& n, std::size_t size, unsigned slot, std::uint32_t flags) {
  // Each in-flight command has its own SG list (one segment).
  auto* seg = reinterpret_cast<ipipe_dma_seg*>(n.sgl.ptr) + slot;
  seg->addr = n.src.bus;
  seg->len = static_cast<std::uint32_t>(size);
  seg->resv = 0;
  ipipe_admin_cmd c{};
  c.opcode = IPIPE_ADMIN_DMA;
  c.dma.sgl_addr = n.sgl.bus + slot * sizeof(ipipe_dma_seg);
  c.dma.nsegs = 1;
  c.dma.nic_off = 0;
  c.dma.dir = IPIPE_DMA_TO_NIC;
  c.flags = flags;
  return c;
}

void memcpy_bench(benchmark::State& st) {
  bench_nic& n = nic();
  const auto size = static_cast<std::size_t>(st.range(0));
  std::byte* dst = n.att->nic_data().data();
  for (auto _ : st) {
    std::memcpy(dst, n.src.ptr, size);
    benchmark::ClobberMemory();
  }
  st.SetBytesProcessed(static_cast<std::int64_t>(st.iterations() * size));
}

void dma_engine_bench(benchmark::State& st, std::uint32_t flags) {
  bench_nic& n = nic();
  const auto size = static_cast<std::size_t>(st.range(0));
  // The engine over the same two memories, called directly (the firmware
  // thread is idle meanwhile).
  auto host = memfd_host_memory::create(host_size);
  fw_limits lim;
  lim.nic_data_size = n.att->nic_data().size();
  auto& h = **host;
  auto* seg = reinterpret_cast<ipipe_dma_seg*>(h.translate(0, 4096)->data());
  *seg = ipipe_dma_seg{4096, static_cast<std::uint32_t>(size), 0};
  std::memset(h.translate(4096, size)->data(), 0x5a, size);
  dma_engine eng{h, n.att->nic_data(), lim};
  ipipe_admin_cmd c{};
  c.opcode = IPIPE_ADMIN_DMA;
  c.dma.nsegs = 1;
  c.dma.dir = IPIPE_DMA_TO_NIC;
  c.flags = flags;
  for (auto _ : st) {
    dma_result r = eng.run(c);
    benchmark::DoNotOptimize(r);
    if (r.status != IPIPE_STS_OK)
      st.SkipWithError("DMA failed");
  }
  st.SetBytesProcessed(static_cast<std::int64_t>(st.iterations() * size));
}

void dma_admin_bench(benchmark::State& st, std::uint32_t flags) {
  bench_nic& n = nic();
  const auto size = static_cast<std::size_t>(st.range(0));
  constexpr unsigned depth = 8;
  attachment& a = *n.att;
  unsigned inflight = 0;
  unsigned slot = 0;
  for (auto _ : st) {
    // Keep between depth/2 and depth commands queued, ringing the doorbell
    // once per refill as a driver batching submissions would; reap one
    // completion per iteration.
    if (inflight <= depth / 2) {
      while (inflight < depth) {
        if (!a.post(dma_cmd(n, size, slot++ % 64, flags))) {
          st.SkipWithError("post failed");
          return;
        }
        ++inflight;
      }
      (void)a.doorbell(IPIPE_VEC_ADMIN);
    }
    auto cqe = a.reap(10s);
    if (!cqe || cqe->status != IPIPE_STS_OK) {
      st.SkipWithError("DMA completion missing or failed");
      return;
    }
    --inflight;
  }
  while (inflight-- > 0)
    (void)a.reap(10s);
  st.SetBytesProcessed(static_cast<std::int64_t>(st.iterations() * size));
}

void sizes(benchmark::internal::Benchmark* b) {
  for (std::int64_t s : {4 << 10, 16 << 10, 64 << 10, 256 << 10, 1 << 20, 4 << 20})
    b->Arg(s);
}

} // namespace

// Real time everywhere: the machine is shared, and the queue benchmark
// spends time in two threads.
BENCHMARK(memcpy_bench)->Name("memcpy")->Apply(sizes)->UseRealTime();
BENCHMARK_CAPTURE(dma_engine_bench, crc, 0u)->Name("dma_engine")->Apply(sizes)->UseRealTime();
BENCHMARK_CAPTURE(dma_engine_bench, copy, IPIPE_DMA_F_NO_CRC)
    ->Name("dma_engine_copy")
    ->Apply(sizes)
    ->UseRealTime();
BENCHMARK_CAPTURE(dma_admin_bench, crc, 0u)->Name("dma_admin_queue")->Apply(sizes)->UseRealTime();
BENCHMARK_CAPTURE(dma_admin_bench, copy, IPIPE_DMA_F_NO_CRC)
    ->Name("dma_admin_queue_copy")
    ->Apply(sizes)
    ->UseRealTime();

BENCHMARK_MAIN();
