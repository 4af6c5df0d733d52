#include <ipipe/sched/thread_engine.hpp>

#include <linux/ipipe.h>

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <memory>
#include <thread>
#include <vector>

using namespace ipipe::sched;

namespace {

// The manual clock of the single-threaded tests: handlers advance it, so
// execution times are exact and no wall-clock time is measured.
std::atomic<std::uint64_t> manual_now{1};
std::uint64_t manual_clock() noexcept {
  return manual_now.load();
}

thread_config cfg(std::uint32_t cores) {
  thread_config c;
  c.policy.cores = cores;
  c.policy.max_actors = 8;
  return c;
}

} // namespace

TEST(thread_engine, every_submitted_item_runs_exactly_once) {
  constexpr int producers = 2;
  constexpr int per_producer = 4000;
  auto counts = std::make_unique<std::array<std::atomic<int>, producers * per_producer>>();
  for (auto& c : *counts)
    c = 0;
  auto handler = [&](std::uint64_t i) { (*counts)[i].fetch_add(1, std::memory_order_relaxed); };
  thread_engine e{cfg(4)};
  for (std::uint32_t a = 0; a < 4; ++a)
    ASSERT_TRUE(e.add_actor(a));
  ASSERT_TRUE(e.set_group(3, group::drr)); // both paths at once
  ASSERT_TRUE(e.start());
  std::vector<std::thread> ps;
  for (int p = 0; p < producers; ++p)
    ps.emplace_back([&, p] {
      for (int i = 0; i < per_producer; ++i) {
        const std::uint64_t id = static_cast<std::uint64_t>(p * per_producer + i);
        EXPECT_TRUE(e.submit(make_work_item(static_cast<std::uint32_t>(id % 4), handler, id)));
      }
    });
  for (auto& t : ps)
    t.join();
  e.stop();
  for (std::size_t i = 0; i < counts->size(); ++i)
    ASSERT_EQ((*counts)[i].load(), 1) << "item " << i;
  EXPECT_EQ(e.executed(), static_cast<std::uint64_t>(producers * per_producer));
}

TEST(thread_engine, a_drr_actor_runs_its_items_one_at_a_time_in_submission_order) {
  constexpr int producers = 2;
  constexpr int per_actor = 2000;
  struct actor_check {
    std::atomic<int> inside{0};
    std::array<std::uint64_t, producers> last{}; // touched only inside the handler
  };
  std::array<actor_check, 3> checks;
  std::atomic<int> violations{0};
  auto handler = [&](std::uint64_t arg) {
    const auto actor = static_cast<std::uint32_t>(arg >> 40);
    const auto producer = static_cast<std::size_t>((arg >> 32) & 0xff);
    const std::uint64_t seq = arg & 0xffffffff;
    auto& chk = checks[actor];
    if (chk.inside.fetch_add(1) != 0)
      violations.fetch_add(1);
    if (seq != chk.last[producer] + 1)
      violations.fetch_add(1);
    chk.last[producer] = seq;
    chk.inside.fetch_sub(1);
  };
  thread_config c = cfg(3);
  // Pin the groups: these handlers are fast, and the policy would rightly
  // upgrade them to FCFS after a window, where order is not promised.
  c.policy.regroup_actors = false;
  thread_engine e{c};
  for (std::uint32_t a = 0; a < 3; ++a) {
    ASSERT_TRUE(e.add_actor(a));
    ASSERT_TRUE(e.set_group(a, group::drr));
  }
  ASSERT_TRUE(e.start());
  std::vector<std::thread> ps;
  for (std::uint64_t p = 0; p < producers; ++p)
    ps.emplace_back([&, p] {
      for (std::uint64_t s = 1; s <= per_actor; ++s)
        for (std::uint64_t a = 0; a < 3; ++a)
          EXPECT_TRUE(e.submit(
              make_work_item(static_cast<std::uint32_t>(a), handler, a << 40 | p << 32 | s)));
    });
  for (auto& t : ps)
    t.join();
  e.stop();
  EXPECT_EQ(violations.load(), 0);
  for (auto& chk : checks)
    for (auto last : chk.last)
      EXPECT_EQ(last, static_cast<std::uint64_t>(per_actor));
}

TEST(thread_engine, items_survive_group_changes_while_the_cores_run) {
  std::atomic<int> ran{0};
  auto handler = [&](std::uint64_t) { ran.fetch_add(1, std::memory_order_relaxed); };
  thread_engine e{cfg(3)};
  ASSERT_TRUE(e.add_actor(0));
  ASSERT_TRUE(e.add_actor(1));
  ASSERT_TRUE(e.start());
  std::atomic<bool> done{false};
  std::thread flipper{[&] {
    for (int i = 0; !done.load(); ++i)
      (void)e.set_group(i % 2, i % 4 < 2 ? group::drr : group::fcfs);
  }};
  for (int i = 0; i < 6000; ++i)
    ASSERT_TRUE(e.submit(make_work_item(static_cast<std::uint32_t>(i % 2), handler)));
  e.drain();
  done = true;
  flipper.join();
  e.stop();
  EXPECT_EQ(ran.load(), 6000);
}

TEST(thread_engine, algorithm_1_downgrades_a_slow_actor_from_measured_run_times) {
  thread_config c = cfg(2);
  c.clock = &manual_clock;
  c.sample_batch = 1;
  decision_log log;
  thread_engine e{c, &log};
  ASSERT_TRUE(e.add_actor(1));
  int runs = 0;
  auto slow = [&](std::uint64_t) {
    ++runs;
    manual_now += 100'000; // each run takes 100 us of engine time
  };
  for (int i = 0; i < 12; ++i)
    ASSERT_TRUE(e.submit(make_work_item(1, slow)));
  e.drain(); // no threads: runs on this thread
  EXPECT_EQ(runs, 12);
  EXPECT_EQ(e.group_of(1), group::drr);
  ASSERT_GE(log.count(decision_kind::downgrade), 1u);
  EXPECT_EQ(log.entries().front().actor_id, 1u);
  EXPECT_EQ(log.entries().front().value_ns, 100'000u);
  EXPECT_EQ(e.fcfs_cores(), 1u) << "one core for the DRR group";
  // Later items go through the mailbox and a DRR turn: the group sizes are
  // counts, so whichever core is free takes the turn while the DRR group
  // has room.
  ASSERT_TRUE(e.submit(make_work_item(1, slow)));
  EXPECT_TRUE(e.poll(0));
  EXPECT_EQ(runs, 13);
  EXPECT_EQ(e.group_of(1), group::drr);
}

// 40 us handlers on cores four times slower than this machine's count as
// 160 us: past a 100 us tail threshold, where 40 us is not.
TEST(thread_engine, a_slowed_down_core_counts_each_run_as_taking_longer) {
  for (const double slowdown : {1.0, 4.0}) {
    thread_config c = cfg(2);
    c.clock = &manual_clock;
    c.sample_batch = 1;
    c.initial.tail_thresh_ns = 100'000;
    c.core_slowdown = slowdown;
    decision_log log;
    thread_engine e{c, &log};
    ASSERT_TRUE(e.add_actor(1));
    auto run = [](std::uint64_t) { manual_now += 40'000; };
    for (int i = 0; i < 30; ++i)
      ASSERT_TRUE(e.submit(make_work_item(1, run)));
    const auto t0 = std::chrono::steady_clock::now();
    e.drain();
    const auto slept = std::chrono::steady_clock::now() - t0;
    if (slowdown == 1.0) {
      EXPECT_EQ(e.group_of(1), group::fcfs);
      continue;
    }
    EXPECT_EQ(e.group_of(1), group::drr);
    ASSERT_GE(log.count(decision_kind::downgrade), 1u);
    EXPECT_EQ(log.entries().front().value_ns, 160'000u);
    // 30 x 120 us to sleep off over two cores: at least a millisecond.
    EXPECT_GE(slept, std::chrono::microseconds(1000));
  }
}

TEST(thread_engine, no_more_cores_than_the_drr_group_has_run_drr_turns_at_once) {
  thread_config c = cfg(2);
  c.clock = &manual_clock;
  c.drr_lanes = 2; // the actor could use both cores
  thread_engine e{c};
  ASSERT_TRUE(e.add_actor(0));
  ASSERT_TRUE(e.add_actor(1));
  ASSERT_TRUE(e.set_group(1, group::drr));
  ASSERT_EQ(e.fcfs_cores(), 1u);
  std::vector<bool> inner;
  int ran = 0;
  auto short_one = [&](std::uint64_t) { ++ran; };
  auto h = [&](std::uint64_t i) {
    ++ran;
    if (i == 0) {
      // While this DRR turn runs on one core, the other core may take
      // central work but not the second DRR item.
      inner.push_back(e.poll(1));
      ASSERT_TRUE(e.submit(make_work_item(0, short_one)));
      inner.push_back(e.poll(1));
    }
  };
  ASSERT_TRUE(e.submit(make_work_item(1, h, 0)));
  ASSERT_TRUE(e.submit(make_work_item(1, h, 1)));
  ASSERT_TRUE(e.poll(0));
  EXPECT_EQ(inner, (std::vector<bool>{false, true}));
  EXPECT_EQ(ran, 3) << "the turn continued with the second item on its own core";
}

TEST(thread_engine, an_upgraded_actor_s_mailbox_still_drains_in_order) {
  thread_engine e{cfg(2)};
  ASSERT_TRUE(e.add_actor(0));
  ASSERT_TRUE(e.set_group(0, group::drr));
  std::vector<std::uint64_t> seen;
  auto h = [&](std::uint64_t i) { seen.push_back(i); };
  for (std::uint64_t i = 0; i < 5; ++i)
    ASSERT_TRUE(e.submit(make_work_item(0, h, i)));
  ASSERT_TRUE(e.set_group(0, group::fcfs));
  EXPECT_EQ(e.fcfs_cores(), 2u);
  // With no DRR core left, the FCFS cores drain the mailbox.
  while (e.poll(0)) {
  }
  EXPECT_EQ(seen, (std::vector<std::uint64_t>{0, 1, 2, 3, 4}));
  ASSERT_TRUE(e.submit(make_work_item(0, h, 5)));
  EXPECT_TRUE(e.poll(1)) << "new items take the central queue";
  EXPECT_EQ(seen.back(), 5u);
}

TEST(thread_engine, a_host_actor_s_items_are_forwarded_in_order) {
  std::vector<std::uint64_t> forwarded;
  thread_config c = cfg(1);
  c.host_forward = [&](const work_item& w) { forwarded.push_back(w.arg); };
  thread_engine e{c};
  ASSERT_TRUE(e.add_actor(0));
  ASSERT_TRUE(e.add_actor(1));
  int ran = 0;
  auto h = [&](std::uint64_t) { ++ran; };
  for (std::uint64_t i = 0; i < 4; ++i) {
    ASSERT_TRUE(e.submit(make_work_item(0, h, i)));
    ASSERT_TRUE(e.submit(make_work_item(1, h, 100 + i)));
  }
  ASSERT_TRUE(e.set_location(0, location::host)); // the runtime migrated it
  ASSERT_TRUE(e.submit(make_work_item(0, h, 4)));
  e.drain();
  EXPECT_EQ(forwarded, (std::vector<std::uint64_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(ran, 4);
}

TEST(thread_engine, misuse_is_reported_as_errors) {
  thread_engine e{cfg(1)};
  auto h = [](std::uint64_t) {};
  EXPECT_EQ(e.submit(make_work_item(0, h)).err().code(), ipipe::errc::not_found);
  ASSERT_TRUE(e.add_actor(0));
  EXPECT_EQ(e.set_location(0, location::host).err().code(), ipipe::errc::not_supported);
  ASSERT_TRUE(e.start());
  EXPECT_EQ(e.start().err().code(), ipipe::errc::busy);
  e.stop();
  EXPECT_EQ(e.submit(make_work_item(0, h)).err().code(), ipipe::errc::closed);
}

TEST(thread_engine, another_core_downgrades_an_actor_whose_request_overruns) {
  thread_config c = cfg(2);
  c.clock = &manual_clock;
  thread_engine e{c};
  ASSERT_TRUE(e.add_actor(1));
  ASSERT_TRUE(e.add_actor(2));
  std::atomic<bool> in_long{false};
  std::atomic<bool> release{false};
  auto slow = [&](std::uint64_t) {
    manual_now += 80'000; // 80 us of engine time have passed...
    in_long = true;
    while (!release.load()) // ...and the request is still running
      std::this_thread::yield();
  };
  auto quick = [](std::uint64_t) {};
  ASSERT_TRUE(e.submit(make_work_item(1, slow)));
  std::thread core1{[&] { EXPECT_TRUE(e.poll(1)); }};
  while (!in_long.load())
    std::this_thread::yield();
  ASSERT_TRUE(e.submit(make_work_item(2, quick)));
  EXPECT_TRUE(e.poll(0)); // core 0 runs actor 2, then watches core 1
  EXPECT_EQ(e.group_of(1), group::drr) << "downgraded while its first request runs";
  EXPECT_EQ(e.group_of(2), group::fcfs);
  release = true;
  core1.join();
}

namespace {
std::atomic<std::uint64_t> cpu_now{1};
std::uint64_t manual_cpu() noexcept {
  return cpu_now.load();
}
} // namespace

TEST(thread_engine, an_exec_clock_keeps_preemption_out_of_the_statistics) {
  thread_config c = cfg(2);
  c.clock = &manual_clock;
  c.exec_clock = &manual_cpu;
  c.sample_batch = 1;
  decision_log log;
  thread_engine e{c, &log};
  ASSERT_TRUE(e.add_actor(1));
  // Each run takes 100 us of wall time but only 5 us of CPU time, as if
  // the OS had preempted the handler.
  auto preempted = [](std::uint64_t) {
    manual_now += 100'000;
    cpu_now += 5'000;
  };
  for (int i = 0; i < 64; ++i)
    ASSERT_TRUE(e.submit(make_work_item(1, preempted)));
  e.drain();
  EXPECT_EQ(e.group_of(1), group::fcfs);
  EXPECT_EQ(log.count(decision_kind::downgrade), 0u);
}

TEST(thread_engine, several_drr_lanes_serve_one_actor_on_several_cores_exactly_once) {
  thread_config c = cfg(3);
  c.drr_lanes = 3;
  c.policy.regroup_actors = false;
  thread_engine e{c};
  ASSERT_TRUE(e.add_actor(0));
  ASSERT_TRUE(e.set_group(0, group::drr));
  std::atomic<int> inside{0};
  std::atomic<int> most{0};
  std::atomic<int> ran{0};
  auto h = [&](std::uint64_t) {
    const int now_in = inside.fetch_add(1) + 1;
    int seen = most.load();
    while (now_in > seen && !most.compare_exchange_weak(seen, now_in)) {
    }
    std::this_thread::yield(); // give the other lanes a chance to overlap
    inside.fetch_sub(1);
    ran.fetch_add(1);
  };
  ASSERT_TRUE(e.start());
  for (int i = 0; i < 3000; ++i)
    ASSERT_TRUE(e.submit(make_work_item(0, h)));
  e.stop();
  EXPECT_EQ(ran.load(), 3000);
  EXPECT_LE(most.load(), 3) << "never more lanes than configured";
}

TEST(thread_engine, a_tail_threshold_changed_from_another_thread_takes_effect) {
  thread_config c = cfg(2);
  c.clock = &manual_clock;
  c.sample_batch = 1;
  c.policy.early_downgrade = false;
  thread_engine e{c};
  ASSERT_TRUE(e.add_actor(1));
  auto slow = [](std::uint64_t) { manual_now += 100'000; };
  params p;
  p.tail_thresh_ns = 1'000'000; // 1 ms: 100 us runs are fine
  std::thread operator_thread{[&] { e.tuning().set(p, IPIPE_PARAM_TAIL_THRESH); }};
  operator_thread.join();
  for (int i = 0; i < 16; ++i)
    ASSERT_TRUE(e.submit(make_work_item(1, slow)));
  e.drain();
  EXPECT_EQ(e.group_of(1), group::fcfs);
  p.tail_thresh_ns = 50'000;
  std::thread again{[&] { e.tuning().set(p, IPIPE_PARAM_TAIL_THRESH); }};
  again.join();
  ASSERT_TRUE(e.submit(make_work_item(1, slow)));
  e.drain();
  EXPECT_EQ(e.group_of(1), group::drr);
}

TEST(thread_engine, a_core_with_nothing_to_do_probes_the_newest_item_of_a_flooded_drr_actor) {
  thread_config c = cfg(2);
  c.clock = &manual_clock;
  c.drr_lanes = 2;
  c.probe_burst = 16;
  thread_engine e{c};
  ASSERT_TRUE(e.add_actor(1));
  ASSERT_TRUE(e.set_group(1, group::drr));
  std::vector<std::uint64_t> order;
  std::vector<bool> inner;
  auto h = [&](std::uint64_t i) {
    order.push_back(i);
    if (i == 0) {
      // The DRR group (one core) is busy with item 0, and 17 items arrived
      // without a DRR completion: the other core samples the newest one.
      inner.push_back(e.poll(1));
      inner.push_back(e.poll(1)); // the first probe has ended: the next may start
    }
  };
  for (std::uint64_t i = 0; i < 17; ++i)
    ASSERT_TRUE(e.submit(make_work_item(1, h, i)));
  ASSERT_TRUE(e.poll(0));
  EXPECT_EQ(inner, (std::vector<bool>{true, true}));
  ASSERT_GE(order.size(), 3u);
  EXPECT_EQ(order[1], 16u) << "the probe took the newest item";
  EXPECT_EQ(order[2], 15u) << "the first probe had ended, so the second one may start";
  e.drain();
  EXPECT_EQ(order.size(), 17u);
}

TEST(thread_engine, with_one_lane_per_actor_nothing_is_probed) {
  thread_config c = cfg(2);
  c.clock = &manual_clock;
  thread_engine e{c};
  ASSERT_TRUE(e.add_actor(1));
  ASSERT_TRUE(e.set_group(1, group::drr));
  std::vector<bool> inner;
  auto h = [&](std::uint64_t i) {
    if (i == 0)
      inner.push_back(e.poll(1));
  };
  for (std::uint64_t i = 0; i < 17; ++i)
    ASSERT_TRUE(e.submit(make_work_item(1, h, i)));
  ASSERT_TRUE(e.poll(0));
  EXPECT_EQ(inner, (std::vector<bool>{false}));
}
