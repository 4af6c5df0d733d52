#include <ipipe/sched/cost_table.hpp>

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

using namespace ipipe::sched;

namespace {

constexpr const char* header = "app,actor,side,kind,count,mean_ns,p0_ns,p50_ns,p99.9_ns,max_ns\n";

std::string table(const std::string& rows) {
  return std::string{"# a comment\n"} + header + rows;
}

} // namespace

TEST(cost_table, a_row_becomes_a_distribution_linear_between_its_quantiles) {
  const auto t =
      parse_cost_table(table("RKV,rkv_memtable,nic,apply,100,1500,1000,1000,3000,5000\n"));
  ASSERT_TRUE(t) << t.err().message();
  ASSERT_EQ(t->rows.size(), 1u);
  const cost_row& r = t->rows[0];
  EXPECT_EQ(r.app, "RKV");
  EXPECT_EQ(r.actor, "rkv_memtable");
  EXPECT_EQ(r.side, "nic");
  EXPECT_EQ(r.kind, "apply");
  EXPECT_EQ(r.count, 100u);
  // Half the mass at 1000, then a ramp to 3000 and a last 0.1% to 5000.
  const double mean = 0.5 * 1000 + 0.499 * 2000 + 0.001 * 4000;
  EXPECT_NEAR(r.cost.mean_ns(), mean, 1e-6);
  std::mt19937_64 rng{3};
  double sum = 0;
  std::uint64_t lo = UINT64_MAX, hi = 0;
  const int n = 200'000;
  for (int i = 0; i < n; ++i) {
    const std::uint64_t v = r.cost.sample(rng);
    sum += static_cast<double>(v);
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  EXPECT_NEAR(sum / n, mean, mean * 0.01);
  EXPECT_EQ(lo, 1000u);
  EXPECT_LE(hi, 5000u);
  EXPECT_GT(hi, 3000u);
}

TEST(cost_table, bad_tables_are_refused_with_the_line_at_fault) {
  const std::pair<const char*, const char*> bad[] = {
      {"app,actor,kind\n", "line 1"},
      {"app,actor,side,kind,count,mean_ns,p50_ns,p10_ns,max_ns\n", "line 1"},
      {"app,actor,side,kind,count,mean_ns,p10_ns,max_ns\n", "line 1"},
      {"app,actor,side,kind,count,mean_ns,p0_ns,p99_ns\n", "line 1"},
      {"", "no header"},
  };
  for (const auto& [text, why] : bad) {
    const auto t = parse_cost_table(text);
    ASSERT_FALSE(t) << text;
    EXPECT_EQ(t.err().code(), ipipe::errc::invalid_argument);
    EXPECT_NE(t.err().context().find(why), std::string::npos) << t.err().context();
  }
  const char* rows[] = {
      "RKV,a,nic,k,1,1,1,2,3\n",    // a field short
      "RKV,a,nic,k,x,1,1,2,3,4\n",  // count not a number
      "RKV,a,card,k,1,1,1,2,3,4\n", // neither nic nor host
      "RKV,a,nic,k,1,1,1,5,3,4\n",  // a quantile falls
      "RKV,a,nic,k,1,1,1,-2,3,4\n", // negative
  };
  for (const char* row : rows) {
    const auto t = parse_cost_table(table(row));
    ASSERT_FALSE(t) << row;
    EXPECT_NE(t.err().context().find("line 3"), std::string::npos) << t.err().context();
  }
}

TEST(cost_table, the_built_in_table_holds_the_nic_load_of_every_application) {
  const cost_table& t = default_cost_table();
  std::set<std::string> apps;
  for (const auto& r : t.rows)
    if (r.side == "nic" && r.kind != "tick" && r.kind != "configure")
      apps.insert(r.app);
  EXPECT_EQ(apps, (std::set<std::string>{"DT", "RKV", "RTA"}));
}

TEST(cost_table, the_apps_workload_gives_each_application_the_same_cpu) {
  const auto t = parse_cost_table(table("DT,dt_a,nic,x,100,1,1000,1000,1000,1000\n"
                                        "DT,dt_a,nic,y,100,1,3000,3000,3000,3000\n"
                                        "DT,dt_b,nic,z,200,1,500,500,500,500\n"
                                        "DT,dt_b,nic,tick,999,1,500,500,500,500\n"
                                        "DT,dt_b,nic,configure,9,1,500,500,500,500\n"
                                        "DT,dt_log,host,append,100,1,100,100,100,100\n"
                                        "RTA,rta_c,nic,x,10,1,2000,2000,2000,2000\n"));
  ASSERT_TRUE(t) << t.err().message();
  for (auto g : {apps_grain::kind, apps_grain::actor}) {
    const workload w = apps_workload(*t, g);
    ASSERT_EQ(w.phases.size(), 1u);
    const auto& a = w.phases[0].actors;
    ASSERT_EQ(a.size(), 4u) << "ticks, configuration and host rows are not load";
    std::map<std::uint32_t, double> cpu; // by id
    for (const auto& s : a)
      cpu[s.id] += s.weight * s.service.mean_ns();
    // DT: x 100k ns, y 300k, z 100k of 500k; RTA: all of its 20k.
    EXPECT_NEAR(a[0].weight * 1000 + a[1].weight * 3000 + a[2].weight * 500, 1.0, 1e-9);
    EXPECT_NEAR(a[3].weight * 2000, 1.0, 1e-9);
    EXPECT_NEAR(a[0].weight / a[2].weight, 0.5, 1e-9) << "counts keep their ratio in an app";
    if (g == apps_grain::kind) {
      EXPECT_EQ(w.name, "APPS");
      EXPECT_EQ(w.actor_ids(), (std::vector<std::uint32_t>{0, 1, 2, 3}));
    } else {
      EXPECT_EQ(w.name, "APPS-ACT");
      EXPECT_EQ(a[0].id, a[1].id) << "kinds of one actor type are one actor";
      EXPECT_EQ(w.actor_ids(), (std::vector<std::uint32_t>{0, 1, 2}));
    }
  }
}
