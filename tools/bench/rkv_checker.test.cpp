// The RKV checker's rules on scripted histories: each line of a script is
// one client event in real-time order.
#include "rkv_checker.hpp"

#include <gtest/gtest.h>

using namespace ipipe::bench;
using j = rkv_checker::judgement;
using o = rkv_checker::outcome;

TEST(rkv_checker, a_key_never_written_in_this_run_is_unverified) {
  rkv_checker c;
  auto r = c.begin_read(1);
  EXPECT_EQ(c.end_read(r, 0), j::unverified);
  EXPECT_EQ(c.end_read(r, 12345), j::unverified);
}

TEST(rkv_checker, a_get_after_an_acknowledged_put_must_return_it) {
  rkv_checker c;
  const auto w = c.begin_write(1, false);
  c.end_write(w, o::acked);
  auto r = c.begin_read(1);
  EXPECT_EQ(c.end_read(r, w), j::ok);
  EXPECT_EQ(c.end_read(r, 0), j::wrong);     // lost write
  EXPECT_EQ(c.end_read(r, w + 7), j::wrong); // a value nobody wrote
}

TEST(rkv_checker, a_stale_value_is_wrong) {
  rkv_checker c;
  const auto w1 = c.begin_write(1, false);
  c.end_write(w1, o::acked);
  const auto w2 = c.begin_write(1, false);
  c.end_write(w2, o::acked);
  auto r = c.begin_read(1);
  EXPECT_EQ(c.end_read(r, w2), j::ok);
  EXPECT_EQ(c.end_read(r, w1), j::wrong);
}

TEST(rkv_checker, an_acknowledged_delete_means_not_found) {
  rkv_checker c;
  const auto w = c.begin_write(1, false);
  c.end_write(w, o::acked);
  const auto d = c.begin_write(1, true);
  c.end_write(d, o::acked);
  auto r = c.begin_read(1);
  EXPECT_EQ(c.end_read(r, 0), j::ok);
  EXPECT_EQ(c.end_read(r, w), j::wrong);
}

TEST(rkv_checker, a_write_in_flight_may_or_may_not_be_seen) {
  rkv_checker c;
  const auto w1 = c.begin_write(1, false);
  c.end_write(w1, o::acked);
  const auto w2 = c.begin_write(1, false); // in flight during the read
  auto r = c.begin_read(1);
  EXPECT_EQ(c.end_read(r, w1), j::ok);
  EXPECT_EQ(c.end_read(r, w2), j::ok);
  c.end_write(w2, o::acked);
  // A read that starts after w2's acknowledgement may not see w1 any more.
  auto later = c.begin_read(1);
  EXPECT_EQ(c.end_read(later, w2), j::ok);
  EXPECT_EQ(c.end_read(later, w1), j::wrong);
}

TEST(rkv_checker, a_write_sent_while_the_get_is_in_flight_is_concurrent) {
  rkv_checker c;
  const auto w1 = c.begin_write(1, false);
  c.end_write(w1, o::acked);
  auto r = c.begin_read(1);
  const auto w2 = c.begin_write(1, false);
  c.end_write(w2, o::acked);
  EXPECT_EQ(c.end_read(r, w1), j::ok);
  EXPECT_EQ(c.end_read(r, w2), j::ok);
  const auto other = c.begin_write(2, false); // another key's write is not allowed
  EXPECT_EQ(c.end_read(r, other), j::wrong);
}

TEST(rkv_checker, overlapping_writes_leave_either_value) {
  rkv_checker c;
  const auto a = c.begin_write(1, false);
  const auto b = c.begin_write(1, false);
  c.end_write(b, o::acked);
  c.end_write(a, o::acked);
  auto r = c.begin_read(1);
  EXPECT_EQ(c.end_read(r, a), j::ok);
  EXPECT_EQ(c.end_read(r, b), j::ok);
  // A write that overlaps nothing settles the key again.
  const auto s = c.begin_write(1, false);
  c.end_write(s, o::acked);
  auto r2 = c.begin_read(1);
  EXPECT_EQ(c.end_read(r2, s), j::ok);
  EXPECT_EQ(c.end_read(r2, a), j::wrong);
  EXPECT_EQ(c.end_read(r2, b), j::wrong);
}

TEST(rkv_checker, a_write_with_an_unknown_outcome_stays_possible) {
  rkv_checker c;
  const auto w1 = c.begin_write(1, false);
  c.end_write(w1, o::acked);
  const auto lost = c.begin_write(1, false);
  c.end_write(lost, o::unknown); // timed out: may be applied any time later
  const auto w3 = c.begin_write(1, false);
  c.end_write(w3, o::acked);
  auto r = c.begin_read(1);
  EXPECT_EQ(c.end_read(r, w3), j::ok);
  EXPECT_EQ(c.end_read(r, lost), j::ok);
  EXPECT_EQ(c.end_read(r, w1), j::wrong);
}

TEST(rkv_checker, keys_are_independent) {
  rkv_checker c;
  const auto a = c.begin_write(1, false);
  c.end_write(a, o::acked);
  const auto b = c.begin_write(2, false);
  c.end_write(b, o::acked);
  EXPECT_EQ(c.end_read(c.begin_read(1), b), j::wrong);
  EXPECT_EQ(c.end_read(c.begin_read(2), b), j::ok);
  EXPECT_EQ(c.end_read(c.begin_read(3), b), j::unverified);
}
