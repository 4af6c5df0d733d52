#include "options.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>

using namespace ipipe::bench;

namespace {

// Parses `args` as the command line would; returns the plan or the error.
ipipe::expected<plan> parse(std::vector<std::string> args) {
  CLI::App app;
  options o;
  add_options(app, o);
  args.insert(args.begin(), "ipipe-bench");
  std::vector<const char*> argv;
  for (auto& a : args)
    argv.push_back(a.c_str());
  app.parse(static_cast<int>(argv.size()), argv.data());
  return make_plan(o);
}

} // namespace

TEST(options, targets_take_the_default_actor_unless_they_name_one) {
  auto p = parse({"-t", "127.0.0.1:7000", "-t", "10.0.0.2:7001/9", "--actor", "4"});
  ASSERT_TRUE(p) << p.err().context();
  ASSERT_EQ(p->targets.size(), 2u);
  EXPECT_EQ(p->targets[0].at.addr, INADDR_LOOPBACK);
  EXPECT_EQ(p->targets[0].at.port, 7000);
  EXPECT_EQ(p->targets[0].actor, 4u);
  EXPECT_EQ(p->targets[1].actor, 9u);
  EXPECT_EQ(p->engine.duration_s, 10);
  EXPECT_EQ(p->engine.schedule.rate_at(5), 1000);
}

TEST(options, a_replica_maps_to_its_target_or_becomes_one) {
  auto p = parse(
      {"-t", "127.0.0.1:7001", "--replica", "1=127.0.0.1:7001", "--replica", "2=127.0.0.1:7002/3"});
  ASSERT_TRUE(p) << p.err().context();
  ASSERT_EQ(p->targets.size(), 2u);
  EXPECT_EQ(p->replica_of.at(1), 0u);
  EXPECT_EQ(p->replica_of.at(2), 1u);
  EXPECT_EQ(p->targets[1].actor, 3u);
}

TEST(options, a_ramp_sets_the_default_duration) {
  auto p = parse({"-t", "127.0.0.1:7000", "--ramp", "1000:5000:2:1000"});
  ASSERT_TRUE(p) << p.err().context();
  EXPECT_DOUBLE_EQ(p->engine.duration_s, 10.0); // 4 steps up, one held
  auto q = parse({"-t", "127.0.0.1:7000", "--ramp", "1000:5000:2:1000", "-n", "50"});
  ASSERT_TRUE(q);
  EXPECT_EQ(q->engine.duration_s, 0);
  EXPECT_EQ(q->engine.requests, 50u);
}

TEST(options, bad_values_name_the_argument) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases{
      {{"-t", "127.0.0.1"}, "--target"},
      {{"-t", "127.0.0.1:7000/0"}, "--target"},
      {{"-t", "127.0.0.1:7000", "--replica", "0=127.0.0.1:7000"}, "--replica"},
      {{"-t", "127.0.0.1:7000", "--replica", "127.0.0.1:7000"}, "--replica"},
      {{"-t", "127.0.0.1:7000", "--ramp", "1:2:3"}, "--ramp"},
  };
  for (const auto& [args, arg] : cases) {
    auto p = parse(args);
    ASSERT_FALSE(p) << args.back();
    EXPECT_NE(p.err().context().find("argument \"" + arg + "\" is wrong"), std::string::npos)
        << p.err().context();
  }
  if (have_rkv()) {
    for (const char* mix : {"1:2", "a:b:c", "0:0:0", "1:2:3:4"}) {
      auto p = parse({"-t", "127.0.0.1:7000", "-w", "rkv", "--mix", mix});
      EXPECT_FALSE(p) << mix;
    }
    auto p = parse({"-t", "127.0.0.1:7000", "-w", "rkv", "--mix", "70:25:5"});
    ASSERT_TRUE(p) << p.err().context();
    EXPECT_EQ(p->mix[0], 70u);
    EXPECT_EQ(p->mix[1], 25u);
    EXPECT_EQ(p->mix[2], 5u);
  }
}

TEST(options, cli11_rejects_what_it_can_check_itself) {
  for (std::vector<std::string> args :
       {std::vector<std::string>{},
        {"-t", "127.0.0.1:7000", "--rate", "0"},
        {"-t", "127.0.0.1:7000", "--rate", "5", "--ramp", "1:2:1:1"},
        {"-t", "127.0.0.1:7000", "-w", "nope"},
        {"-t", "127.0.0.1:7000", "--value-size", "8"}}) {
    EXPECT_THROW((void)parse(args), CLI::ParseError);
  }
}

TEST(options, dt_and_rta_configure_needs_its_actors_and_one_node) {
  if (!have_dt() || !have_rta())
    GTEST_SKIP() << "built without apps/dt or apps/rta";
  const std::vector<std::string> dt{"-w", "dt", "-t", "127.0.0.1:7000/1", "--configure"};
  const auto with = [](std::vector<std::string> a, std::vector<std::string> more) {
    a.insert(a.end(), more.begin(), more.end());
    return a;
  };
  const std::vector<std::string> good_dt = with(dt, {"--participants", "2,3", "--log-actor", "4",
                                                     "--accounts", "100", "--log-dir", "/tmp/dt"});
  auto p = parse(good_dt);
  EXPECT_TRUE(p) << p.err().context();
  const std::vector<std::string> rta{
      "-w", "rta", "-t", "127.0.0.1:7000/1", "-t", "127.0.0.1:7000/2", "--configure"};
  auto q = parse(with(rta, {"--counts", "3,4"}));
  EXPECT_TRUE(q) << q.err().context();
  // Without --configure, dt needs nothing more and rta its two targets.
  EXPECT_TRUE(parse({"-w", "dt", "-t", "127.0.0.1:7000/1", "-t", "127.0.0.1:7001/1"}));

  const std::vector<std::pair<std::vector<std::string>, std::string>> cases{
      {with(dt, {"--log-actor", "4", "--accounts", "100", "--log-dir", "/tmp"}), "--participants"},
      {with(dt, {"--participants", "2,0", "--log-actor", "4", "--accounts", "100", "--log-dir",
                 "/tmp"}),
       "--participants"},
      {with(dt, {"--participants", "2", "--accounts", "100", "--log-dir", "/tmp"}), "--log-actor"},
      {with(dt, {"--participants", "2", "--log-actor", "4", "--log-dir", "/tmp"}), "--accounts"},
      {with(dt,
            {"--participants", "2", "--log-actor", "4", "--accounts", "100", "--log-dir", "tmp"}),
       "--log-dir"},
      {with(good_dt, {"-t", "127.0.0.1:7001/1"}), "--target"},
      {{"-w", "rta", "-t", "127.0.0.1:7000/1"}, "--target"},
      {{"-w", "rta", "-t", "127.0.0.1:7000/1", "-t", "127.0.0.1:7000/2", "--lang-mask", "0"},
       "--lang-mask"},
      {with(rta, {}), "--counts"},
      {{"-w", "rta", "-t", "127.0.0.1:7000/1", "-t", "127.0.0.1:7001/2", "--configure", "--counts",
        "3"},
       "--target"},
  };
  for (const auto& [args, arg] : cases) {
    auto r = parse(args);
    ASSERT_FALSE(r) << arg;
    EXPECT_NE(r.err().context().find("argument \"" + arg + "\" is wrong"), std::string::npos)
        << r.err().context();
  }
  EXPECT_THROW((void)parse(with(rta, {"--counts", "3", "--top-k", "65"})), CLI::ParseError);
  EXPECT_THROW((void)parse(with(rta, {"--counts", "3", "--lateness", "8"})), CLI::ParseError);
}
