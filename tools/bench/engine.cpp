#include "engine.hpp"

#include <ipipe/common/clock.hpp>

#include <poll.h>
#include <sys/prctl.h>

#include <algorithm>
#include <condition_variable>
#include <ctime>
#include <deque>
#include <mutex>
#include <queue>
#include <thread>
#include <unordered_map>
#include <unordered_set>

namespace ipipe::bench {

namespace {

constexpr std::uint64_t ms = 1'000'000;
// Redirect attempts get req_ids from their own space, so the first
// attempts' ids (the tokens) are 1, 2, ... whatever the redirects did.
constexpr std::uint64_t retry_id_bit = std::uint64_t{1} << 63;
// Timed-out req_ids remembered to tell a late answer from a stray one.
constexpr std::size_t late_memory = 1 << 20;
// Pause before asking again when no replica knows the leader.
constexpr std::uint64_t retry_pause_ns = 2 * ms;
constexpr std::size_t max_error_log = 5;

void sleep_until(std::uint64_t t_ns) {
  timespec ts{static_cast<time_t>(t_ns / 1'000'000'000ULL),
              static_cast<long>(t_ns % 1'000'000'000ULL)};
  while (::clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
  }
}

class engine {
public:
  engine(const engine_config& cfg, workload& wl, wire_socket& sock)
      : cfg_(cfg), wl_(wl), sock_(sock) {}

  run_result run(const interval_callback& on_interval);

private:
  struct entry {
    std::uint64_t token = 0;
    std::uint64_t first_send = 0; // ns
    std::uint64_t deadline = 0;   // ns
    unsigned attempts = 1;
    std::size_t target = 0; // of the current attempt
    std::vector<std::byte> payload;
  };
  using timed = std::pair<std::uint64_t, std::uint64_t>; // (time ns, req_id)
  using min_heap = std::priority_queue<timed, std::vector<timed>, std::greater<>>;
  // The counts of one sampling interval.
  struct interval {
    std::uint64_t start = 0, end = 0; // ns
    std::uint64_t sent = 0, ok = 0, errors = 0, timeouts = 0;
    histogram latency;

    [[nodiscard]] bool empty() const noexcept { return !sent && !ok && !errors && !timeouts; }
    [[nodiscard]] interval_sample sample(std::uint64_t t0) const;
  };
  struct resend {
    std::size_t target;
    std::vector<std::byte> frame;
  };

  void send_loop();
  void receive_loop();
  void expire(std::uint64_t now);                            // needs lock_
  void answer(const wire_socket::answer& a, std::uint64_t t, // needs lock_
              std::vector<resend>& out);
  void again(std::uint64_t id, std::size_t target, std::vector<resend>& out); // needs lock_
  void note_error(std::string why);                                           // needs lock_
  void finish(std::uint64_t id, bool late_possible);                          // needs lock_
  interval_sample close_interval(std::uint64_t now);                          // needs lock_

  const engine_config& cfg_;
  workload& wl_;
  wire_socket& sock_;
  std::uint64_t start_ = 0;
  std::atomic<bool> sending_done_{false};
  std::atomic<bool> receiving_done_{false};

  std::mutex lock_; // protects everything below, and wl_
  std::condition_variable done_cv_;
  std::unordered_map<std::uint64_t, entry> table_; // req_id -> outstanding request
  min_heap deadlines_;
  min_heap retries_;
  std::unordered_set<std::uint64_t> timed_out_;
  std::deque<std::uint64_t> timed_out_order_;
  std::uint64_t next_retry_id_ = retry_id_bit | 1;
  std::uint64_t last_send_ = 0;
  std::uint64_t window_end_ = 0;
  std::uint64_t last_answer_ = 0;
  run_result r_;
  interval iv_;   // the current interval
  interval prev_; // the last one sampled
};

void engine::send_loop() {
  // Wake-ups must be precise to the microsecond, not to the default 50 us
  // timer slack.
  ::prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
  poisson_arrivals arrivals(cfg_.schedule, cfg_.seed);
  std::vector<std::byte> frame(nic::wire::max_frame);
  // The load window ends at --duration, or else at the last send.
  std::uint64_t window_end = 0;
  for (std::uint64_t n = 0;; ++n) {
    if (cfg_.requests && n >= cfg_.requests)
      break;
    const double at = arrivals.next();
    if (cfg_.duration_s > 0 && at >= cfg_.duration_s) {
      window_end = start_ + static_cast<std::uint64_t>(cfg_.duration_s * 1e9);
      break;
    }
    const auto due = start_ + static_cast<std::uint64_t>(at * 1e9);
    // Sleep in slices so that a stop request is seen at low rates too.
    for (std::uint64_t now = monotonic_ns(); now < due && !(cfg_.stop && *cfg_.stop);
         now = monotonic_ns())
      sleep_until(std::min(due, now + 100 * ms));
    if (cfg_.stop && *cfg_.stop)
      break;

    const std::uint64_t id = n + 1;
    std::size_t target = 0;
    std::size_t len = 0;
    {
      std::lock_guard g(lock_);
      outgoing o = wl_.next(id, n);
      target = o.target;
      auto f = sock_.frame(frame, target, id, o.payload);
      if (!f) {
        note_error("cannot build a frame: " + f.err().message());
        ++r_.gave_up;
        ++iv_.errors;
        wl_.on_timeout(id);
        continue;
      }
      len = *f;
      const std::uint64_t now = monotonic_ns();
      r_.send_lag.record(now - std::min(now, due));
      entry e{id, now, now + cfg_.timeout_ms * ms, 1, target, std::move(o.payload)};
      table_.emplace(id, std::move(e));
      deadlines_.emplace(now + cfg_.timeout_ms * ms, id);
      ++r_.sent;
      ++r_.frames_sent;
      ++iv_.sent;
      last_send_ = now;
    }
    if (!sock_.send(target, {frame.data(), len})) {
      std::lock_guard g(lock_);
      ++r_.send_failures;
      if (table_.count(id)) {
        finish(id, false);
        wl_.on_timeout(id);
      }
    }
  }
  std::lock_guard g(lock_);
  window_end_ = window_end ? window_end : last_send_;
  sending_done_ = true;
}

void engine::note_error(std::string why) {
  if (r_.first_errors.size() < max_error_log)
    r_.first_errors.push_back(std::move(why));
}

void engine::finish(std::uint64_t id, bool late_possible) {
  table_.erase(id);
  if (!late_possible)
    return;
  timed_out_.insert(id);
  timed_out_order_.push_back(id);
  if (timed_out_order_.size() > late_memory) {
    timed_out_.erase(timed_out_order_.front());
    timed_out_order_.pop_front();
  }
}

void engine::expire(std::uint64_t now) {
  while (!deadlines_.empty() && deadlines_.top().first <= now) {
    const auto id = deadlines_.top().second;
    deadlines_.pop();
    auto it = table_.find(id);
    if (it == table_.end())
      continue;
    const auto token = it->second.token;
    finish(id, true);
    ++r_.timeouts;
    ++iv_.timeouts;
    wl_.on_timeout(token);
  }
}

void engine::again(std::uint64_t id, std::size_t target, std::vector<resend>& out) {
  auto node = table_.extract(id);
  entry& e = node.mapped();
  if (++e.attempts > cfg_.max_attempts) {
    ++r_.gave_up;
    ++iv_.errors;
    note_error("req_id " + std::to_string(e.token) + ": still redirected after " +
               std::to_string(cfg_.max_attempts) + " attempts");
    wl_.on_timeout(e.token);
    return;
  }
  const std::uint64_t nid = next_retry_id_++;
  std::vector<std::byte> frame(nic::wire::max_frame);
  auto f = sock_.frame(frame, target, nid, e.payload);
  if (!f)
    return; // it was framed before: cannot happen
  frame.resize(*f);
  deadlines_.emplace(e.deadline, nid);
  e.target = target;
  node.key() = nid;
  table_.insert(std::move(node));
  ++r_.frames_sent;
  out.push_back({target, std::move(frame)});
}

void engine::answer(const wire_socket::answer& a, std::uint64_t t, std::vector<resend>& out) {
  const auto id = a.hdr.req_id;
  auto it = table_.find(id);
  if (it == table_.end()) {
    if (timed_out_.count(id))
      ++r_.late;
    else
      ++r_.stray;
    return;
  }
  entry& e = it->second;
  last_answer_ = t;
  verdict v = wl_.on_answer(e.token, a.hdr, a.body);
  switch (v.what) {
  case verdict::kind::ok:
    r_.latency.record(t - e.first_send);
    iv_.latency.record(t - e.first_send);
    ++r_.ok;
    ++iv_.ok;
    finish(id, false);
    break;
  case verdict::kind::wrong:
  case verdict::kind::error_reply:
    ++(v.what == verdict::kind::wrong ? r_.wrong : r_.error_replies);
    ++iv_.errors;
    note_error("req_id " + std::to_string(e.token) + ": " + v.why);
    finish(id, false);
    break;
  case verdict::kind::redirect:
    ++r_.redirects;
    again(id, v.target, out);
    break;
  case verdict::kind::retry_later: {
    ++r_.redirects;
    // Parked under its old req_id; an answer to that cannot come any more.
    e.target = v.target;
    retries_.emplace(t + retry_pause_ns, id);
    break;
  }
  }
}

void engine::receive_loop() {
  std::vector<resend> out;
  wire_socket::answer a;
  for (;;) {
    std::uint64_t wait_ns = 5 * ms;
    {
      std::lock_guard g(lock_);
      const std::uint64_t now = monotonic_ns();
      expire(now);
      while (!retries_.empty() && retries_.top().first <= now) {
        const auto id = retries_.top().second;
        retries_.pop();
        if (table_.count(id))
          again(id, table_[id].target, out);
      }
      if (sending_done_ && table_.empty())
        break;
      if (!deadlines_.empty())
        wait_ns = std::min(wait_ns, deadlines_.top().first - std::min(now, deadlines_.top().first));
      if (!retries_.empty())
        wait_ns = std::min(wait_ns, retries_.top().first - std::min(now, retries_.top().first));
    }
    for (auto& s : out)
      sock_.send(s.target, s.frame);
    out.clear();
    pollfd p{sock_.fd(), POLLIN, 0};
    const int timeout = static_cast<int>((wait_ns + ms - 1) / ms);
    if (::poll(&p, 1, timeout) <= 0)
      continue;
    for (int i = 0; i < 256; ++i) {
      const auto got = sock_.receive(a);
      if (got == wire_socket::rx::empty)
        break;
      const std::uint64_t t = monotonic_ns();
      std::lock_guard g(lock_);
      if (got == wire_socket::rx::bad)
        ++r_.bad_frames;
      else
        answer(a, t, out);
    }
    for (auto& s : out)
      sock_.send(s.target, s.frame);
    out.clear();
  }
  std::lock_guard g(lock_);
  receiving_done_ = true;
  done_cv_.notify_all();
}

interval_sample engine::interval::sample(std::uint64_t t0) const {
  interval_sample s;
  const double dt = static_cast<double>(end - start) / 1e9;
  s.t = static_cast<double>(end - t0) / 1e9;
  s.offered = dt > 0 ? static_cast<double>(sent) / dt : 0;
  s.achieved = dt > 0 ? static_cast<double>(ok) / dt : 0;
  s.p50_ns = latency.percentile(50);
  s.p99_ns = latency.percentile(99);
  s.errors = errors;
  s.timeouts = timeouts;
  return s;
}

interval_sample engine::close_interval(std::uint64_t now) {
  iv_.end = now;
  std::swap(prev_, iv_);
  iv_.latency.clear();
  iv_.start = now;
  iv_.sent = iv_.ok = iv_.errors = iv_.timeouts = 0;
  return prev_.sample(start_);
}

run_result engine::run(const interval_callback& on_interval) {
  start_ = iv_.start = monotonic_ns();
  std::thread receiver([this] { receive_loop(); });
  std::thread sender([this] { send_loop(); });
  const std::uint64_t period = std::max<std::uint64_t>(cfg_.interval_ms, 1) * ms;
  std::uint64_t next = start_ + period;
  std::unique_lock g(lock_);
  for (;;) {
    const auto left = std::chrono::nanoseconds(next - std::min(next, monotonic_ns()));
    const bool done = done_cv_.wait_for(g, left, [this] { return receiving_done_.load(); });
    const std::uint64_t now = monotonic_ns();
    if (done && iv_.empty())
      break;
    if (done && !r_.intervals.empty() && now - iv_.start < period / 2) {
      // A short tail after the last full interval (the drain): fold it
      // into that interval, so that the series has no spike made of a
      // handful of answers over a few microseconds.
      prev_.end = now;
      prev_.sent += iv_.sent;
      prev_.ok += iv_.ok;
      prev_.errors += iv_.errors;
      prev_.timeouts += iv_.timeouts;
      prev_.latency.merge(iv_.latency);
      r_.intervals.back() = prev_.sample(start_);
      break;
    }
    if (!done && now < next)
      continue;
    auto s = close_interval(now);
    r_.intervals.push_back(s);
    next += period;
    if (on_interval) {
      g.unlock();
      on_interval(s);
      g.lock();
    }
    if (done)
      break;
  }
  g.unlock();
  sender.join();
  receiver.join();
  const auto since_start = [this](std::uint64_t t) {
    return static_cast<double>(t - std::min(t, start_)) / 1e9;
  };
  r_.send_window_s = since_start(window_end_);
  r_.elapsed_s = std::max(r_.send_window_s, since_start(last_answer_));
  r_.extra = wl_.counters();
  return std::move(r_);
}

} // namespace

run_result run_load(const engine_config& cfg, workload& wl, wire_socket& sock,
                    const interval_callback& on_interval) {
  engine e(cfg, wl, sock);
  return e.run(on_interval);
}

} // namespace ipipe::bench
