#include <ipipe/common/clock.hpp>
#include <ipipe/runtime/dmo_format.hpp>
#include <ipipe/runtime/runtime.hpp>
#include <ipipe/runtime/watchdog.hpp>

#include <gtest/gtest.h>

#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "test_actors.hpp"
#include <atomic>
#include <chrono>
#include <cstring>
#include <functional>
#include <thread>

namespace ipipe::runtime {
using namespace testing;

namespace {

// What the "t_stall" handler does mid-run, set by each test.
std::function<void()> stall_hook;
// The error its DMO write got after being stopped.
std::atomic<int> stall_write_errc{-1};
std::atomic<bool> stall_entered{false};

// Runs `stall_hook`, then spins until the watchdog stops it, then tries to
// keep working through the runtime.
class stall_actor final : public actor {
public:
  expected<void> init(actor_context& ctx) override {
    auto id = ctx.dmo_malloc(64);
    if (!id)
      return id.err();
    obj_ = *id;
    return {};
  }
  void handle(actor_context& ctx, const message&) override {
    stall_entered = true;
    if (stall_hook)
      stall_hook();
    while (!ctx.stop_requested())
      std::this_thread::yield();
    auto w = ctx.dmo_memset(obj_, 0, 1, 8);
    stall_write_errc = w ? 0 : static_cast<int>(w.err().code());
  }

private:
  object_id obj_ = 0;
};

std::uint64_t thread_cpu_now() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000 +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

// Runs on a CPU for as many milliseconds of its thread's CPU time as the
// request's req_id says, however long that takes on the wall clock.
class cpu_spin_actor final : public actor {
public:
  expected<void> init(actor_context&) override { return {}; }
  void handle(actor_context&, const message& msg) override {
    const std::uint64_t until = thread_cpu_now() + msg.hdr.req_id * 1'000'000;
    while (thread_cpu_now() < until) {
    }
  }
};

// Waits 20 ms for "a file", which its type says may take a second.
class patient_actor final : public actor {
public:
  std::uint64_t budget_ns() const noexcept override { return 1'000'000'000; }
  expected<void> init(actor_context&) override { return {}; }
  void handle(actor_context&, const message&) override {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
};

void register_types() {
  register_test_types();
  static const bool done = [] {
    (void)actor_registry::add("t_patient", [] { return std::make_unique<patient_actor>(); });
    (void)actor_registry::add("t_stall", [] { return std::make_unique<stall_actor>(); });
    (void)actor_registry::add("t_cpu_spin", [] { return std::make_unique<cpu_spin_actor>(); });
    return true;
  }();
  (void)done;
}

message request(actor_id dst, std::uint64_t req, std::uint64_t seq = 1) {
  counter_req rq{0, 0, seq};
  return message::make(IPIPE_MSG_REQUEST, dst, 0, req, as_bytes_of(rq));
}

std::uint32_t error_status(const message& m) {
  wire::error_payload p{};
  std::memcpy(&p, m.payload.data(), std::min(sizeof(p), m.payload.size()));
  return p.status;
}

} // namespace

// The watchdog runs on a manual clock here: the handler itself calls the
// tick with times far past its budget, as a watchdog core would. The first
// look marks the handler, the second finds it charged past its budget.
TEST(isolation, an_over_budget_handler_is_quarantined_and_an_event_raised) {
  register_types();
  runtime rt{{.default_budget_ns = 1'000'000}};
  event_log events;
  reply_log replies;
  rt.set_event_sink(&events);
  rt.set_client_sink(replies.sink());
  auto bad = *rt.create_actor({.type = "t_stall"});
  auto good = *rt.create_actor({.type = "t_counter"});
  std::size_t stopped = 0;
  stall_hook = [&] {
    const std::uint64_t now = monotonic_ns();
    EXPECT_EQ(rt.watchdog_tick(now + 5'000'000), 0u) << "the first look only marks";
    stopped = rt.watchdog_tick(now + 10'000'000);
  };
  stall_write_errc = -1;
  (void)rt.submit(request(bad, 1));
  (void)rt.submit(request(bad, 2)); // queued behind the stalled one
  (void)rt.submit(request(good, 3));
  rt.run_until_idle();
  stall_hook = nullptr;

  EXPECT_EQ(stopped, 1u);
  EXPECT_EQ(rt.info(bad)->state, actor_state::quarantined);
  EXPECT_EQ(stall_write_errc, static_cast<int>(errc::budget_exceeded))
      << "a stopped handler could still write its objects";
  auto ev = events.events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].type, IPIPE_EV_ACTOR_KILLED);
  EXPECT_EQ(ev[0].actor_id, bad);
  EXPECT_GT(ev[0].arg0, 0u) << "the overrun should be reported";
  EXPECT_EQ(rt.stats().killed, 1u);

  // Requests 1 (killed mid-run) and 2 (queued) got errors; 3 ran normally.
  auto got = replies.take();
  ASSERT_EQ(got.size(), 3u);
  std::map<std::uint64_t, std::uint16_t> types;
  for (const auto& m : got)
    types[m.hdr.req_id] = m.hdr.type;
  EXPECT_EQ(types[1], IPIPE_MSG_ERROR);
  EXPECT_EQ(types[2], IPIPE_MSG_ERROR);
  EXPECT_EQ(types[3], IPIPE_MSG_REPLY);

  // From now on it receives nothing; the other actor keeps running.
  EXPECT_EQ(rt.submit(request(bad, 4)), route::rejected);
  EXPECT_FALSE(rt.execute(bad, request(bad, 5)).executed);
  EXPECT_EQ(rt.submit(request(good, 6, 2)), route::queued);
  EXPECT_EQ(rt.run_until_idle(), 1u);
  got = replies.take();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].hdr.type, IPIPE_MSG_ERROR);
  EXPECT_EQ(error_status(got[0]), static_cast<std::uint32_t>(IPIPE_STS_NOT_FOUND));
  EXPECT_EQ(got[2].hdr.type, IPIPE_MSG_REPLY);
  EXPECT_EQ(rt.migrate(bad).err().code(), errc::invalid_argument); // no peer either way
}

TEST(isolation, a_handler_within_budget_is_left_alone_by_the_watchdog) {
  register_types();
  runtime rt{{.default_budget_ns = 1'000'000}};
  auto id = *rt.create_actor({.type = "t_counter"});
  // A tick before any handler runs, and one "now": nothing is over budget.
  EXPECT_EQ(rt.watchdog_tick(monotonic_ns()), 0u);
  (void)rt.submit(request(id, 1));
  rt.run_until_idle();
  EXPECT_EQ(rt.watchdog_tick(monotonic_ns() + 1'000'000'000), 0u) << "idle actors were stopped";
  EXPECT_EQ(rt.info(id)->state, actor_state::local);
}

TEST(isolation, a_real_clock_tick_stops_a_handler_that_blocked_past_its_budget) {
  register_types();
  runtime rt{{.default_budget_ns = 1'000'000}};
  event_log events;
  rt.set_event_sink(&events);
  auto bad = *rt.create_actor({.type = "t_stall"});
  // The handler sleeps past its budget (blocked, not spinning) before the
  // watchdog looks; the real-clock tick must still find and stop it.
  stall_hook = [] { std::this_thread::sleep_for(std::chrono::milliseconds(20)); };
  stall_entered = false;
  std::thread t([&] { (void)rt.execute(bad, request(bad, 1)); });
  while (!stall_entered)
    std::this_thread::yield();
  // Ticks at "now" find it once it has run longer than its budget.
  while (rt.watchdog_tick(monotonic_ns()) == 0)
    std::this_thread::yield();
  t.join();
  stall_hook = nullptr;
  EXPECT_EQ(rt.info(bad)->state, actor_state::quarantined);
  EXPECT_EQ(events.count(IPIPE_EV_ACTOR_KILLED), 1u);
}

// The emulated NIC's cores share this machine's CPUs with everything else:
// a handler whose thread waits for a CPU is not charged for the wait. Here
// a hog shares one CPU with the handler's thread, which also runs at a
// lower priority, so 10 ms of CPU take far longer than the 15 ms budget.
TEST(isolation, a_handler_kept_waiting_for_a_cpu_is_charged_only_for_its_run) {
  register_types();
  runtime rt{{.default_budget_ns = 15'000'000}};
  event_log events;
  rt.set_event_sink(&events);
  auto id = *rt.create_actor({.type = "t_cpu_spin"});
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(0, &one);
  std::atomic<bool> done{false};
  std::thread hog([&] {
    ASSERT_EQ(::pthread_setaffinity_np(::pthread_self(), sizeof(one), &one), 0);
    while (!done.load(std::memory_order_relaxed)) {
    }
  });
  std::uint64_t wall = 0;
  std::thread core([&] {
    ASSERT_EQ(::pthread_setaffinity_np(::pthread_self(), sizeof(one), &one), 0);
    ASSERT_EQ(::setpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)), 10), 0);
    const std::uint64_t t0 = monotonic_ns();
    (void)rt.execute(id, message::make(IPIPE_MSG_REQUEST, id, 0, 10));
    wall = monotonic_ns() - t0;
  });
  {
    watchdog wd{rt, std::chrono::milliseconds(1)};
    core.join();
  }
  done = true;
  hog.join();
  ASSERT_GT(wall, 15'000'000u) << "the handler was never kept waiting: this shows nothing";
  EXPECT_EQ(rt.info(id)->state, actor_state::local) << "ran " << wall / 1000 << " us";
  EXPECT_EQ(events.count(IPIPE_EV_ACTOR_KILLED), 0u);
}

TEST(isolation, a_type_may_declare_its_own_budget_and_a_spec_overrides_it) {
  register_types();
  runtime rt{{.default_budget_ns = 1'000'000}};
  auto patient = *rt.create_actor({.type = "t_patient"});
  auto hurried = *rt.create_actor({.type = "t_patient", .budget_ns = 2'000'000});
  EXPECT_EQ(rt.info(patient)->budget_ns, 1'000'000'000u);
  EXPECT_EQ(rt.info(hurried)->budget_ns, 2'000'000u);
  {
    watchdog wd{rt, std::chrono::microseconds(500)};
    (void)rt.execute(patient, message::make(IPIPE_MSG_REQUEST, patient, 0, 1));
    (void)rt.execute(hurried, message::make(IPIPE_MSG_REQUEST, hurried, 0, 2));
  }
  EXPECT_EQ(rt.info(patient)->state, actor_state::local) << "20 ms of a 1 s budget";
  EXPECT_EQ(rt.info(hurried)->state, actor_state::quarantined) << "20 ms of a 2 ms budget";
}

// Real threads: a watchdog thread, a core stuck in a runaway handler, and a
// core that keeps serving another actor meanwhile.
TEST(isolation, a_runaway_handler_does_not_starve_other_actors) {
  register_types();
  runtime rt{{.default_budget_ns = 2'000'000}};
  event_log events;
  reply_log replies;
  rt.set_event_sink(&events);
  rt.set_client_sink(replies.sink());
  auto bad = *rt.create_actor({.type = "t_stall"});
  auto good = *rt.create_actor({.type = "t_counter", .budget_ns = 60'000'000'000});
  stall_hook = nullptr;
  stall_entered = false;
  std::atomic<bool> stuck_done{false};
  std::thread stuck([&] {
    (void)rt.execute(bad, request(bad, 1));
    stuck_done = true;
  });
  std::uint64_t served = 0;
  // The runaway handler is running and nothing can stop it yet (no
  // watchdog): the good actor is served all the same. On a loaded machine
  // the watchdog below may otherwise stop the runaway before this thread
  // ever gets to run.
  while (!stall_entered)
    std::this_thread::yield();
  (void)rt.execute(good, request(good, 100 + served, served + 1));
  ++served;
  {
    watchdog wd{rt, std::chrono::microseconds(500)};
    // Serve the good actor until the runaway one has been stopped.
    while (!stuck_done) {
      (void)rt.execute(good, request(good, 100 + served, served + 1));
      ++served;
    }
    stuck.join();
    EXPECT_EQ(wd.stopped(), 1u);
  }
  EXPECT_GT(served, 0u);
  EXPECT_EQ(rt.info(bad)->state, actor_state::quarantined);
  EXPECT_EQ(rt.info(good)->state, actor_state::local);
  EXPECT_EQ(rt.info(good)->stats.requests, served);
  EXPECT_EQ(events.count(IPIPE_EV_ACTOR_KILLED), 1u);
}

} // namespace ipipe::runtime
