// ipipe-demo: drives echo actors on an ipipe NIC through the message rings,
// migrates one to the host and back, and runs the DMA engine; prints what
// it measured. Works through the kernel driver or attached directly to the
// emulator (same ring code either way).
#include <ipipe/common/clock.hpp>
#include <ipipe/host/device.hpp>
#include <ipipe/runtime/msg_ring.hpp>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <random>
#include <vector>

using ipipe::host::device;
using nlohmann::json;

namespace {

struct options {
  std::string socket;
  std::string dev;
  unsigned actors = 4;
  unsigned messages = 200000;
  unsigned window = 64;
  bool json = false;
};

[[noreturn]] void die(const std::string& what, const ipipe::error& e) {
  std::fprintf(stderr, "ipipe-demo: %s: %s\n", what.c_str(), e.message().c_str());
  std::exit(1);
}

template <class T>
T must(ipipe::expected<T> r, const std::string& what) {
  if (!r)
    die(what, r.err());
  return std::move(*r);
}

void must(ipipe::expected<void> r, const std::string& what) {
  if (!r)
    die(what, r.err());
}

std::uint64_t percentile(std::vector<std::uint64_t>& v, double p) {
  if (v.empty())
    return 0;
  auto k = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

// Every request carries its index; the echoed payload must come back intact.
struct echo_result {
  std::uint64_t ok = 0, errors = 0, wrong = 0;
  double seconds = 0;
  std::vector<std::uint64_t> lat_ns;
};

echo_result run_echo(device& d, const ipipe::host::ring_set& rings,
                     const std::vector<std::uint32_t>& actors, const options& o) {
  ipipe::runtime::msg_ring_producer tx(rings.base[IPIPE_RING_MSG_H2N], rings.msg);
  ipipe::runtime::msg_ring_consumer rx(rings.base[IPIPE_RING_MSG_N2H], rings.msg);
  echo_result res;
  std::vector<std::uint64_t> sent_at(o.messages);
  res.lat_ns.reserve(o.messages);
  std::uint64_t next = 0, done = 0, idle_since = ipipe::monotonic_ns();
  const std::uint64_t start = ipipe::monotonic_ns();

  while (done < o.messages) {
    unsigned posted = 0;
    while (next < o.messages && next - done < o.window) {
      std::uint64_t payload[4] = {next, next * 0x9e3779b97f4a7c15ULL, ~next, 42};
      ipipe_msg_hdr h{};
      h.dst_actor = actors[next % actors.size()];
      h.req_id = next;
      h.type = IPIPE_MSG_REQUEST;
      sent_at[next] = ipipe::monotonic_ns();
      if (!tx.post(h, std::as_bytes(std::span{payload})))
        break;
      ++next;
      ++posted;
    }
    if (posted) {
      tx.publish();
      must(d.kick(), "kick");
    }
    ipipe_msg_hdr h{};
    std::span<const std::byte> p;
    bool got = false;
    while (rx.next(h, p)) {
      got = true;
      ++done;
      if (h.req_id >= o.messages) {
        ++res.wrong;
        continue;
      }
      res.lat_ns.push_back(ipipe::monotonic_ns() - sent_at[h.req_id]);
      std::uint64_t want[4] = {h.req_id, h.req_id * 0x9e3779b97f4a7c15ULL, ~h.req_id, 42};
      if (h.type == IPIPE_MSG_ERROR)
        ++res.errors;
      else if (h.type != IPIPE_MSG_REPLY || p.size() != sizeof(want) ||
               std::memcmp(p.data(), want, sizeof(want)) != 0)
        ++res.wrong;
      else
        ++res.ok;
    }
    rx.release();
    if (got) {
      idle_since = ipipe::monotonic_ns();
    } else if (next - done >= o.window || next == o.messages) {
      (void)must(d.wait(std::chrono::milliseconds(100)), "wait");
      if (ipipe::monotonic_ns() - idle_since > 5'000'000'000ULL) {
        std::fprintf(stderr, "ipipe-demo: no reply for 5 s (%llu of %u answered)\n",
                     static_cast<unsigned long long>(done), o.messages);
        std::exit(1);
      }
    }
  }
  res.seconds = static_cast<double>(ipipe::monotonic_ns() - start) / 1e9;
  return res;
}

} // namespace

int main(int argc, char** argv) {
  options o;
  CLI::App app{"ipipe-demo: echo actors, a migration and DMA on an ipipe NIC"};
  auto* sock = app.add_option("--socket", o.socket, "attach directly to ipipe-nic at this socket");
  auto* devopt = app.add_option("--device", o.dev, "use the kernel driver, e.g. /dev/ipipe0");
  sock->excludes(devopt);
  app.add_option("--actors", o.actors, "echo actors")->check(CLI::Range(1, 64));
  app.add_option("--messages", o.messages, "requests to send")->check(CLI::Range(1, 50000000));
  app.add_option("--window", o.window, "requests in flight")->check(CLI::Range(1, 4096));
  app.add_flag("-j,--json", o.json, "JSON output");
  CLI11_PARSE(app, argc, argv);
  if (o.socket.empty() && o.dev.empty()) {
    std::fprintf(stderr, "ipipe-demo: give --socket or --device (see --help)\n");
    return 2;
  }

  auto d = o.socket.empty() ? must(device::open_kernel(o.dev), "open " + o.dev)
                            : must(device::attach_direct(o.socket), "attach " + o.socket);
  auto info = must(d->info(), "identify");
  auto rings = must(d->setup_rings(0, 0, 0, 0), "ring setup");
  std::vector<std::uint32_t> actors;
  for (unsigned i = 0; i < o.actors; ++i)
    actors.push_back(must(d->register_actor("echo", 0, IPIPE_LOC_NIC, 1 << 20), "register"));

  echo_result echo = run_echo(*d, rings, actors, o);

  // Push one actor to the host and pull it back, timing each command.
  std::uint64_t t0 = ipipe::monotonic_ns();
  must(d->migrate(actors[0], IPIPE_LOC_HOST), "migrate to host");
  std::uint64_t t1 = ipipe::monotonic_ns();
  must(d->migrate(actors[0], IPIPE_LOC_NIC), "migrate to NIC");
  std::uint64_t t2 = ipipe::monotonic_ns();

  // 1 MiB through the DMA engine and back; both CRCs must agree.
  std::size_t len = std::min<std::size_t>(1 << 20, info.max_dma_len);
  std::vector<std::byte> out(len), in(len);
  std::mt19937_64 rng(7);
  for (auto& b : out)
    b = static_cast<std::byte>(rng());
  const int rounds = 16;
  std::uint64_t d0 = ipipe::monotonic_ns();
  std::uint32_t wcrc = 0, rcrc = 0;
  for (int i = 0; i < rounds; ++i) {
    wcrc = must(d->dma(true, out, 0), "DMA to NIC");
    rcrc = must(d->dma(false, in, 0), "DMA from NIC");
  }
  double dma_s = static_cast<double>(ipipe::monotonic_ns() - d0) / 1e9;
  bool dma_ok = wcrc == rcrc && out == in;
  auto st = must(d->fw_stats(), "stats");

  std::uint64_t p50 = percentile(echo.lat_ns, 0.50), p99 = percentile(echo.lat_ns, 0.99);
  double mps = static_cast<double>(echo.ok + echo.errors + echo.wrong) / echo.seconds;
  double gbps = 2.0 * rounds * static_cast<double>(len) / dma_s / 1e9;

  if (o.json) {
    json j = {{"backend", d->backend()},
              {"firmware",
               {{"name", info.fw_name},
                {"version", info.fw_version},
                {"nic_cores", info.nic_cores},
                {"nic_mem", info.nic_mem}}},
              {"echo",
               {{"actors", o.actors},
                {"ok", echo.ok},
                {"errors", echo.errors},
                {"wrong", echo.wrong},
                {"msgs_per_s", mps},
                {"p50_ns", p50},
                {"p99_ns", p99}}},
              {"migration_ns", {{"to_host", t1 - t0}, {"to_nic", t2 - t1}}},
              {"dma", {{"bytes", len}, {"gbps", gbps}, {"crc_ok", dma_ok}}},
              {"fw",
               {{"ring_rx_msgs", st.ring_rx_msgs},
                {"ring_tx_msgs", st.ring_tx_msgs},
                {"dma_bytes", st.dma_bytes},
                {"migrations_to_host", st.migrations_to_host},
                {"migrations_to_nic", st.migrations_to_nic}}}};
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf("ipipe NIC (%s backend): %s %u.%u.%u, %u cores, %llu MiB\n",
                std::string(d->backend()).c_str(), info.fw_name.c_str(), info.fw_version >> 16,
                (info.fw_version >> 8) & 0xff, info.fw_version & 0xff, info.nic_cores,
                static_cast<unsigned long long>(info.nic_mem >> 20));
    std::printf("echo    %u actors  %llu ok  %llu errors  %llu wrong  %.0f msg/s  p50 %.1f us  "
                "p99 %.1f us\n",
                o.actors, static_cast<unsigned long long>(echo.ok),
                static_cast<unsigned long long>(echo.errors),
                static_cast<unsigned long long>(echo.wrong), mps, p50 / 1e3, p99 / 1e3);
    std::printf("migrate actor %u  to host %.1f us  back to NIC %.1f us\n", actors[0],
                (t1 - t0) / 1e3, (t2 - t1) / 1e3);
    std::printf("dma     %zu KiB x %d round trips  %.2f GB/s  crc %s\n", len >> 10, rounds, gbps,
                dma_ok ? "ok" : "MISMATCH");
    std::printf("fw      ring rx %llu  tx %llu  dma %llu MiB  migrations %llu/%llu\n",
                static_cast<unsigned long long>(st.ring_rx_msgs),
                static_cast<unsigned long long>(st.ring_tx_msgs),
                static_cast<unsigned long long>(st.dma_bytes >> 20),
                static_cast<unsigned long long>(st.migrations_to_host),
                static_cast<unsigned long long>(st.migrations_to_nic));
  }
  return echo.ok == o.messages && dma_ok ? 0 : 1;
}
