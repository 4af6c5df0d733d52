// "rkv_sstable": immutable sorted files on the host's disk.
//
// Host only: the actor's durable state is its directory, not its DMOs
// (which hold only the configuration and the counters), so it is created
// with location host and never migrated. The in-memory index of every file
// is rebuilt from the directory whenever the C++ object is new (creation,
// restore, a restarted ipiped).
#include <ipipe/common/unique_fd.hpp>
#include <ipipe/runtime/actor.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.hpp"
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace ipipe::apps::rkv::internal {
namespace {

using runtime::message;

constexpr std::uint32_t file_magic = 0x53564b52; // "RKVS"
constexpr std::size_t file_hdr_size = 48;

struct ss_state {
  counters stats;
  std::uint32_t configured;
  std::uint32_t max_files;
  std::uint32_t dir_len;
  char dir[244];
};

struct entry {
  bool tomb = false;
  std::string value;
};

// One file, loaded whole: the files hold at most a memtable's worth (or a
// compaction of a few), and a map is the index.
struct table {
  std::uint64_t min_seq = 0, max_seq = 0, applied = 0, bytes = 0;
  std::map<std::string, entry, std::less<>> rows;
  std::vector<session> sessions; // the memtable's, as of `applied`
};

std::uint64_t fnv1a(std::span<const std::byte> b) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (auto c : b)
    h = (h ^ static_cast<std::uint8_t>(c)) * 0x100000001b3ull;
  return h;
}

std::string file_name(std::uint64_t seq, const char* prefix) {
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%s-%016llx.rkv", prefix, static_cast<unsigned long long>(seq));
  return buf;
}

bool write_all(int fd, std::span<const std::byte> b) {
  while (!b.empty()) {
    ssize_t n = ::write(fd, b.data(), b.size());
    if (n <= 0)
      return false;
    b = b.subspan(static_cast<std::size_t>(n));
  }
  return true;
}

void fsync_dir(const std::string& dir) {
  unique_fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd)
    (void)::fsync(fd.get());
}

// Writes `t` as dir/sst-<max_seq>.rkv: temp file, fsync, rename, fsync dir.
bool persist(const std::string& dir, const table& t) {
  writer w(SIZE_MAX);
  w.put(file_magic).put<std::uint32_t>(1).put(t.min_seq).put(t.max_seq).put(t.applied);
  w.put(static_cast<std::uint64_t>(t.rows.size())).put<std::uint64_t>(0);
  for (const auto& [k, e] : t.rows) {
    w.put<std::uint8_t>(e.tomb).put(static_cast<std::uint16_t>(k.size()));
    w.put(static_cast<std::uint32_t>(e.value.size())).str(k).str(e.value);
  }
  w.put(static_cast<std::uint64_t>(t.sessions.size()));
  for (const auto& e : t.sessions)
    w.put(e.client_id).put(e.last_seq);
  w.put(fnv1a(w.data()));
  const std::string tmp = dir + "/" + file_name(t.max_seq, "tmp");
  unique_fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd)
    return false;
  const bool ok = write_all(fd.get(), w.data()) && ::fsync(fd.get()) == 0;
  fd.reset();
  if (!ok || ::rename(tmp.c_str(), (dir + "/" + file_name(t.max_seq, "sst")).c_str()) != 0) {
    ::unlink(tmp.c_str());
    return false;
  }
  fsync_dir(dir);
  return true;
}

// Reads and checks one file; nullopt if it is damaged.
std::optional<table> load(const std::string& path) {
  unique_fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd)
    return std::nullopt;
  std::vector<std::byte> buf;
  std::byte chunk[65536];
  ssize_t n;
  while ((n = ::read(fd.get(), chunk, sizeof(chunk))) > 0)
    buf.insert(buf.end(), chunk, chunk + n);
  fd.reset();
  if (buf.size() < file_hdr_size + 8)
    return std::nullopt;
  std::span<const std::byte> all(buf);
  reader tail(all.subspan(all.size() - 8));
  if (tail.get<std::uint64_t>() != fnv1a(all.first(all.size() - 8)))
    return std::nullopt;
  reader rd(all.first(all.size() - 8));
  table t;
  if (rd.get<std::uint32_t>() != file_magic || rd.get<std::uint32_t>() != 1)
    return std::nullopt;
  t.min_seq = rd.get<std::uint64_t>();
  t.max_seq = rd.get<std::uint64_t>();
  t.applied = rd.get<std::uint64_t>();
  const auto count = rd.get<std::uint64_t>();
  (void)rd.get<std::uint64_t>();
  for (std::uint64_t i = 0; i < count && rd.ok(); ++i) {
    const bool tomb = rd.get<std::uint8_t>() != 0;
    const auto klen = rd.get<std::uint16_t>();
    const auto vlen = rd.get<std::uint32_t>();
    std::string k(rd.str(klen));
    t.rows[std::move(k)] = entry{tomb, std::string(rd.str(vlen))};
  }
  const auto nsess = rd.get<std::uint64_t>();
  for (std::uint64_t i = 0; i < nsess && rd.ok(); ++i) {
    session e{};
    e.client_id = rd.get<std::uint64_t>();
    e.last_seq = rd.get<std::uint64_t>();
    t.sessions.push_back(e);
  }
  if (!rd.done() || t.min_seq > t.max_seq)
    return std::nullopt;
  t.bytes = buf.size();
  return t;
}

class sstable final : public state_actor<ss_state> {
public:
  // Flushes and compactions write and fsync whole files.
  std::uint64_t budget_ns() const noexcept override { return 2'000'000'000; }
  expected<void> init(actor_context& ctx) override { return alloc_state(ctx); }

private:
  void on_message(actor_context& ctx, const message& msg, ss_state& s, std::uint8_t k,
                  reader& rd) override {
    if (s.configured && !loaded_)
      open_dir(s);
    if (k == static_cast<std::uint8_t>(kind::configure)) {
      configure(ctx, rd, s);
      return;
    }
    // Everything else comes from actors of this node only.
    if (!s.configured || msg.hdr.client != 0 || msg.src() == 0) {
      ++s.stats[msg.hdr.client != 0 ? st_foreign : st_malformed];
      return;
    }
    switch (k) {
    case k_chunk:
      chunk(rd, s);
      break;
    case k_flush_end:
      flush_end(ctx, msg, rd, s);
      break;
    case k_ss_get:
      get(ctx, rd, s);
      break;
    case k_sessions:
      sessions(rd, s);
      break;
    case k_recover_q:
      recover(ctx, msg.src());
      break;
    default:
      ++s.stats[st_malformed];
    }
  }

  void configure(actor_context& ctx, reader& rd, ss_state& s) {
    (void)rd.get<std::uint8_t>();
    const auto len = rd.get<std::uint16_t>();
    const auto max_files = rd.get<std::uint32_t>();
    const auto dir = rd.str(len);
    if (!rd.done() || len == 0 || len >= sizeof(s.dir) || max_files < 2 ||
        (s.configured && std::string_view(s.dir, s.dir_len) != dir)) {
      ++s.stats[st_malformed];
      reply_error(ctx, kind::configure, detail::bad_config);
      return;
    }
    s.configured = 1;
    s.max_files = max_files;
    s.dir_len = len;
    std::copy(dir.begin(), dir.end(), s.dir);
    (void)::mkdir(std::string(dir).c_str(), 0755);
    open_dir(s);
    reply_ok(ctx, kind::configure);
  }

  // Rebuilds the index from the directory: drops temp files of an
  // interrupted write and files whose sequence range a compaction covers.
  void open_dir(ss_state& s) {
    loaded_ = true;
    files_.clear();
    const std::string dir(s.dir, s.dir_len);
    std::error_code ec;
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec))
      names.push_back(e.path().filename().string());
    for (const auto& n : names) {
      if (n.starts_with("tmp-")) {
        ::unlink((dir + "/" + n).c_str());
      } else if (n.starts_with("sst-") && n.ends_with(".rkv")) {
        if (auto t = load(dir + "/" + n))
          files_.push_back(std::make_shared<table>(std::move(*t)));
        else
          ++s.stats[st_malformed];
      }
    }
    std::sort(files_.begin(), files_.end(),
              [](const auto& a, const auto& b) { return a->max_seq < b->max_seq; });
    std::vector<std::shared_ptr<table>> keep;
    for (const auto& f : files_) {
      const bool covered = std::any_of(files_.begin(), files_.end(), [&](const auto& g) {
        return g != f && g->min_seq <= f->min_seq && f->max_seq <= g->max_seq;
      });
      if (covered)
        ::unlink((dir + "/" + file_name(f->max_seq, "sst")).c_str());
      else
        keep.push_back(f);
    }
    files_ = std::move(keep);
    next_seq_ = files_.empty() ? 1 : files_.back()->max_seq + 1;
  }

  std::uint64_t durable() const {
    std::uint64_t d = 0;
    for (const auto& f : files_)
      d = std::max(d, f->applied);
    return d;
  }

  void chunk(reader& rd, ss_state& s) {
    const auto id = rd.get<std::uint64_t>();
    const auto first = rd.get<std::uint8_t>();
    const auto n = rd.get<std::uint32_t>();
    if (first != 0)
      pending_[id] = table{}; // a resent flush starts over
    auto& t = pending_[id];
    for (std::uint32_t i = 0; i < n && rd.ok(); ++i) {
      const bool tomb = rd.get<std::uint8_t>() != 0;
      const auto klen = rd.get<std::uint16_t>();
      const auto vlen = rd.get<std::uint32_t>();
      std::string k(rd.str(klen));
      std::string v(rd.str(vlen));
      if (rd.ok() && klen <= max_key && vlen <= max_value)
        t.rows[std::move(k)] = entry{tomb, std::move(v)};
    }
    if (!rd.done())
      ++s.stats[st_malformed];
  }

  void sessions(reader& rd, ss_state& s) {
    const auto id = rd.get<std::uint64_t>();
    const auto n = rd.get<std::uint32_t>();
    auto& t = pending_[id];
    for (std::uint32_t i = 0; i < n && rd.ok(); ++i) {
      session e{};
      e.client_id = rd.get<std::uint64_t>();
      e.last_seq = rd.get<std::uint64_t>();
      if (rd.ok())
        t.sessions.push_back(e);
    }
    if (!rd.done())
      ++s.stats[st_malformed];
  }

  // A restarted replica's memtable asks what the files hold: the sessions
  // of the newest flush, then the log index they reach.
  void recover(actor_context& ctx, actor_id to) {
    const table* newest = nullptr;
    for (const auto& f : files_)
      if (newest == nullptr || f->applied > newest->applied)
        newest = f.get();
    const std::vector<session> none;
    send_sessions(ctx, to, 0, newest != nullptr ? newest->sessions : none);
    writer w;
    w.put(k_recovered).put(durable());
    (void)ctx.send(to, w.data());
  }

  void flush_end(actor_context& ctx, const message& msg, reader& rd, ss_state& s) {
    const auto id = rd.get<std::uint64_t>();
    const auto count = rd.get<std::uint64_t>();
    const auto applied = rd.get<std::uint64_t>();
    auto it = pending_.find(id);
    if (!rd.done() || it == pending_.end() || it->second.rows.size() != count) {
      ++s.stats[st_malformed];
      if (it != pending_.end())
        pending_.erase(it);
      return;
    }
    table t = std::move(it->second);
    pending_.erase(it);
    t.min_seq = t.max_seq = next_seq_++;
    t.applied = applied;
    const std::string dir(s.dir, s.dir_len);
    if (!persist(dir, t))
      return; // no ack: the memtable keeps the data and serves it
    files_.push_back(std::make_shared<table>(std::move(t)));
    ++s.stats[st_flushes];
    writer w;
    w.put(k_flushed).put(id).put(applied);
    (void)ctx.send(msg.src(), w.data());
    compact(s);
  }

  // Size-tiered: with more than max_files files, merge the run of
  // max_files neighbours (in age) that is smallest in bytes. Only
  // neighbours, so that "newer file wins" stays true; tombstones go only
  // when the oldest file is part of the run.
  void compact(ss_state& s) {
    if (files_.size() <= s.max_files)
      return;
    const std::size_t run = s.max_files;
    std::size_t best = 0;
    std::uint64_t best_bytes = UINT64_MAX;
    for (std::size_t i = 0; i + run <= files_.size(); ++i) {
      std::uint64_t b = 0;
      for (std::size_t j = i; j < i + run; ++j)
        b += files_[j]->bytes;
      if (b < best_bytes)
        best = i, best_bytes = b;
    }
    table out;
    out.min_seq = files_[best]->min_seq;
    out.max_seq = files_[best + run - 1]->max_seq;
    out.sessions = files_[best + run - 1]->sessions;
    for (std::size_t j = best; j < best + run; ++j) {
      out.applied = std::max(out.applied, files_[j]->applied);
      for (const auto& [k, e] : files_[j]->rows)
        out.rows[k] = e;
    }
    if (best == 0)
      std::erase_if(out.rows, [](const auto& kv) { return kv.second.tomb; });
    const std::string dir(s.dir, s.dir_len);
    if (!persist(dir, out))
      return;
    for (std::size_t j = best; j + 1 < best + run; ++j)
      ::unlink((dir + "/" + file_name(files_[j]->max_seq, "sst")).c_str());
    fsync_dir(dir);
    out.bytes = best_bytes;
    files_.erase(files_.begin() + static_cast<std::ptrdiff_t>(best),
                 files_.begin() + static_cast<std::ptrdiff_t>(best + run));
    files_.insert(files_.begin() + static_cast<std::ptrdiff_t>(best),
                  std::make_shared<table>(std::move(out)));
    ++s.stats[st_compactions];
  }

  void get(actor_context& ctx, reader& rd, ss_state& s) {
    reply_addr to;
    to.endpoint = rd.get<std::uint32_t>();
    to.actor = rd.get<std::uint32_t>();
    to.req_id = rd.get<std::uint64_t>();
    response r;
    r.op = kind::get;
    r.client_id = rd.get<std::uint64_t>();
    r.seq = rd.get<std::uint64_t>();
    const auto key = rd.str(rd.get<std::uint16_t>());
    if (!rd.done()) {
      ++s.stats[st_malformed];
      return;
    }
    r.st = status::not_found;
    for (auto f = files_.rbegin(); f != files_.rend(); ++f) {
      auto it = (*f)->rows.find(key);
      if (it == (*f)->rows.end())
        continue;
      if (!it->second.tomb) {
        r.st = status::ok;
        r.value = it->second.value;
      }
      break;
    }
    answer(ctx, to, r);
  }

  bool loaded_ = false;
  std::uint64_t next_seq_ = 1;
  std::vector<std::shared_ptr<table>> files_; // oldest first
  std::map<std::uint64_t, table> pending_;    // flushes being received
};

} // namespace

std::unique_ptr<runtime::actor> make_sstable() {
  return std::make_unique<sstable>();
}

} // namespace ipipe::apps::rkv::internal
