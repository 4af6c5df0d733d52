// The paper's Figure 18 on this machine: the migration time of each
// application actor, split into the four phases, with the actors' real
// state and clients loading them throughout. RKV runs three replicas
// whose leader's memtable is filled to --state-mib first (the paper's was
// about 32 MB); DT one node of a coordinator and two participants over
// --dt-accounts accounts; RTA one node of a filter, two count actors and
// the rank actor. Each node is a NIC runtime and a host runtime in this
// process, joined by peer rings of ipiped's geometry. Every migrant is
// pushed to the host and pulled back --rounds times; afterwards each
// application's answers are checked. A memcpy of the memtable's bytes,
// timed in the same run, is the baseline.
#include <ipipe/fw/builtin_actors.hpp>

#include <fmt/format.h>
#include <unistd.h>

#include "dt_bed.hpp"
#include "rkv_bed.hpp"
#include "rta_bed.hpp"
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstring>
#include <fstream>

namespace rt = ipipe::runtime;
namespace ev = ipipe::eval;

namespace {

struct settings {
  std::uint64_t state_mib = 32;        // memtable size to reach before migrating
  std::uint32_t value_size = 1000;     // RKV PUT value bytes
  std::uint32_t dt_accounts = 1 << 16; // DT accounts, half on each participant
  unsigned clients = 32;               // outstanding requests while filling
  unsigned load = 8;                   // outstanding requests while migrating
  unsigned rounds = 3;                 // push + pull of every actor, this many times
  std::vector<std::string> apps{"rkv", "dt", "rta"};
  std::string csv; // per-migration records
};

// Pushes (or pulls back) `id` while the bed's clients keep `load`
// requests outstanding; returns the sender's record.
rt::migration_record migrate(ev::bed& b, rt::actor_id id, bool to_host, unsigned load) {
  auto& n = b.node();
  rt::runtime& from = to_host ? n.nic : n.host;
  const std::size_t before = from.migrations().size();
  // Some load first, so that requests are queued when the migration starts.
  for (int i = 0; i < 20; ++i)
    b.step(load);
  ev::check(from.migrate(id), fmt::format("migrate actor {}", id));
  for (int i = 0; i < 100000; ++i) {
    b.step(load);
    // The sender records a migration once the receiver took over.
    if (from.migrations().size() > before)
      return from.migrations().back();
  }
  throw std::runtime_error(fmt::format("the migration of actor {} did not finish", id));
}

std::uint64_t median(std::vector<std::uint64_t> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

// Times a memcpy of `bytes`, the baseline of a migration of that much state.
std::uint64_t memcpy_ns(std::uint64_t bytes) {
  std::vector<std::byte> a(bytes, std::byte{1}), b(bytes);
  std::vector<std::uint64_t> t;
  for (int r = 0; r < 5; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    std::memcpy(b.data(), a.data(), bytes);
    const auto t1 = std::chrono::steady_clock::now();
    asm volatile("" : : "r"(b.data()) : "memory");
    t.push_back(static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count()));
  }
  return median(t);
}

struct series {
  std::string actor;
  bool to_host;
  std::vector<rt::migration_record> recs;
};

void print(const std::vector<series>& all, const settings& s) {
  std::ofstream csv;
  if (!s.csv.empty()) {
    csv.open(s.csv);
    csv << "actor,direction,round,quiesce_ns,collect_ns,transfer_ns,forward_ns,total_ns,"
           "objects,bytes,requests,chunks\n";
  }
  fmt::print("{:<15} {:<9} {:>9} {:>8} {:>10} {:>10} {:>11} {:>10} {:>8} {:>10} {:>9}\n", "actor",
             "direction", "state MiB", "objects", "quiesce us", "collect us", "transfer ms",
             "forward ms", "buffered", "total ms", "transfer");
  for (const auto& x : all) {
    std::vector<std::uint64_t> q, c, t, f, tot, req;
    for (std::size_t i = 0; i < x.recs.size(); ++i) {
      const auto& m = x.recs[i];
      q.push_back(m.quiesce_ns);
      c.push_back(m.collect_ns);
      t.push_back(m.transfer_ns);
      f.push_back(m.forward_ns);
      tot.push_back(m.total_ns());
      req.push_back(m.requests);
      if (csv)
        csv << fmt::format("{},{},{},{},{},{},{},{},{},{},{},{}\n", x.actor,
                           x.to_host ? "nic-to-host" : "host-to-nic", i, m.quiesce_ns, m.collect_ns,
                           m.transfer_ns, m.forward_ns, m.total_ns(), m.objects, m.bytes,
                           m.requests, m.chunks);
    }
    const auto& last = x.recs.back();
    const double total = static_cast<double>(median(tot));
    fmt::print(
        "{:<15} {:<9} {:>9.2f} {:>8} {:>10.1f} {:>10.1f} {:>11.3f} {:>10.3f} {:>8} {:>10.3f} "
        "{:>8.1f}%\n",
        x.actor, x.to_host ? "NIC->host" : "host->NIC", static_cast<double>(last.bytes) / (1 << 20),
        last.objects, median(q) / 1e3, median(c) / 1e3, median(t) / 1e6, median(f) / 1e6,
        median(req), total / 1e6, total > 0 ? 100.0 * static_cast<double>(median(t)) / total : 0.0);
  }
}

// Measures every migrant of `b`, --rounds times each way.
void measure(ev::bed& b, const settings& s, std::vector<series>& out) {
  const std::size_t first = out.size();
  const auto ms = b.migrants();
  for (const auto& m : ms)
    for (bool to_host : {true, false})
      out.push_back({m.type, to_host, {}});
  for (unsigned r = 0; r < s.rounds; ++r)
    for (std::size_t k = 0; k < ms.size(); ++k)
      for (bool to_host : {true, false})
        out[first + 2 * k + (to_host ? 0 : 1)].recs.push_back(
            migrate(b, ms[k].id, to_host, s.load));
  fmt::print("  after the migrations: {}\n", b.verify());
}

bool wanted(const settings& s, const char* app) {
  return std::find(s.apps.begin(), s.apps.end(), app) != s.apps.end();
}

int run(const settings& s) {
  ipipe::apps::rkv::register_actors();
  ipipe::apps::dt::register_actors();
  ipipe::apps::rta::register_actors();
  ipipe::fw::register_builtin_actors();
  const auto dir =
      std::filesystem::temp_directory_path() / fmt::format("ipipe-migration-phases-{}", ::getpid());
  std::filesystem::create_directories(dir);
  struct cleanup {
    std::filesystem::path d;
    ~cleanup() {
      std::error_code ec;
      std::filesystem::remove_all(d, ec);
    }
  } rm{dir};

  std::vector<series> all;
  std::uint64_t memtable_bytes = 0;
  if (wanted(s, "rkv")) {
    ev::rkv_bed b(dir / "rkv", s.value_size);
    const auto t0 = std::chrono::steady_clock::now();
    const auto n = b.fill(s.state_mib << 20, s.clients);
    fmt::print("RKV: filled the leader's memtable in {:.1f} s ({} requests)\n",
               std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), n);
    measure(b, s, all);
    memtable_bytes = all.front().recs.back().bytes;
  }
  if (wanted(s, "dt")) {
    std::filesystem::create_directories(dir / "dt");
    ev::dt_bed b(dir / "dt", s.dt_accounts, 1000);
    for (int i = 0; i < 500; ++i)
      b.step(s.clients);
    fmt::print("DT: {} accounts on 2 participants\n", s.dt_accounts);
    measure(b, s, all);
  }
  if (wanted(s, "rta")) {
    ev::rta_bed b;
    for (int i = 0; i < 500; ++i)
      b.step(s.clients);
    fmt::print("RTA: filter, 2 count actors, rank\n");
    measure(b, s, all);
  }
  print(all, s);
  if (memtable_bytes != 0)
    fmt::print("baseline: memcpy of the memtable's {:.2f} MiB: {:.3f} ms\n",
               static_cast<double>(memtable_bytes) / (1 << 20), memcpy_ns(memtable_bytes) / 1e6);
  fmt::print("medians of {} rounds; rkv_sstable and dt_log stay on the host (files)\n", s.rounds);
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  settings s;
  CLI::App app{"ipipe-migration-phases: the four migration phases of each actor (Figure 18)"};
  app.add_option("--state-mib", s.state_mib, "RKV memtable DMO bytes to reach, MiB")
      ->check(CLI::Range(1, 256));
  app.add_option("--value-size", s.value_size, "RKV PUT value bytes")->check(CLI::Range(16, 4000));
  app.add_option("--dt-accounts", s.dt_accounts, "DT accounts")->check(CLI::Range(2, 1 << 20));
  app.add_option("--clients", s.clients, "outstanding requests while filling")
      ->check(CLI::Range(1, 256));
  app.add_option("--load", s.load, "outstanding requests while migrating")
      ->check(CLI::Range(0, 256));
  app.add_option("--rounds", s.rounds, "migrations of each actor in each direction")
      ->check(CLI::Range(1, 100));
  app.add_option("--apps", s.apps, "applications to measure")
      ->delimiter(',')
      ->check(CLI::IsMember({"rkv", "dt", "rta"}));
  app.add_option("--csv", s.csv, "write every migration's record to this file");
  CLI11_PARSE(app, argc, argv);
  try {
    return run(s);
  } catch (const std::exception& e) {
    fmt::print(stderr, "ipipe-migration-phases: {}\n", e.what());
    return 1;
  }
}
