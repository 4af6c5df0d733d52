#include <ipipe/runtime/dmo_format.hpp>
#include <ipipe/runtime/dmo_store.hpp>

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

using namespace ipipe;
using namespace ipipe::runtime;

namespace {

std::vector<std::byte> pattern(std::size_t n, unsigned seed) {
  std::vector<std::byte> v(n);
  std::mt19937 rng(seed);
  for (auto& b : v)
    b = static_cast<std::byte>(rng());
  return v;
}

dmo_store make(actor_id owner, std::uint64_t quota) {
  auto s = dmo_store::create(owner, quota);
  EXPECT_TRUE(s);
  return std::move(*s);
}

} // namespace

TEST(dmo, object_ids_carry_the_owner_and_count_from_one) {
  auto s = make(7, 4096);
  auto a = s.malloc(10);
  auto b = s.malloc(10);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(*a, make_object_id(7, 1));
  EXPECT_EQ(*b, make_object_id(7, 2));
  EXPECT_EQ(object_owner(*b), 7u);
}

TEST(dmo, a_new_object_reads_as_zeroes_even_when_its_memory_is_reused) {
  auto s = make(1, 4096);
  auto a = *s.malloc(64);
  ASSERT_TRUE(s.memset(a, 0, 0xab, 64));
  ASSERT_TRUE(s.free(a));
  auto b = *s.malloc(64);
  std::vector<std::byte> out(64, std::byte{1});
  ASSERT_TRUE(s.read(b, 0, out));
  for (auto x : out)
    ASSERT_EQ(x, std::byte{0});
}

TEST(dmo, empty_reads_and_writes_succeed_and_touch_nothing) {
  auto s = make(1, 4096);
  auto a = *s.malloc(8);
  EXPECT_TRUE(s.read(a, 8, std::span<std::byte>{})); // at the end: still inside
  EXPECT_TRUE(s.write(a, 0, std::span<const std::byte>{}));
  EXPECT_FALSE(s.read(a, 9, std::span<std::byte>{})) << "past the end is still an error";
}

TEST(dmo, a_write_past_the_object_end_fails_with_bad_length) {
  auto s = make(1, 4096);
  auto id = *s.malloc(100);
  auto data = pattern(10, 1);
  EXPECT_TRUE(s.write(id, 90, data));
  EXPECT_EQ(s.write(id, 91, data).err().code(), errc::bad_length);
  EXPECT_EQ(s.write(id, 101, {}).err().code(), errc::bad_length);
  // Offsets chosen so that off + len wraps around 2^64.
  EXPECT_EQ(s.memset(id, ~0ULL - 4, 0, 10).err().code(), errc::bad_length);
  EXPECT_EQ(s.memset(id, 10, 0, ~0ULL).err().code(), errc::bad_length);
  std::vector<std::byte> out(10);
  EXPECT_EQ(s.read(id, 95, out).err().code(), errc::bad_length);
}

TEST(dmo, touching_another_actors_object_fails_with_permission_denied) {
  auto mine = make(1, 4096);
  auto theirs = make(2, 4096);
  auto their_id = *theirs.malloc(16);
  auto my_id = *mine.malloc(16);
  std::vector<std::byte> out(4);
  EXPECT_EQ(mine.read(their_id, 0, out).err().code(), errc::permission_denied);
  EXPECT_EQ(mine.free(their_id).err().code(), errc::permission_denied);
  EXPECT_EQ(mine.memcpy(my_id, 0, their_id, 0, 4).err().code(), errc::permission_denied);
  // Even an id that does not exist is "not yours", so ids cannot be probed.
  EXPECT_EQ(mine.read(make_object_id(2, 999), 0, out).err().code(), errc::permission_denied);
  EXPECT_EQ(mine.read(make_object_id(1, 999), 0, out).err().code(), errc::not_found);
}

TEST(dmo, allocations_beyond_the_quota_fail_with_no_space) {
  auto s = make(1, 1024);
  ASSERT_TRUE(s.malloc(1000));
  auto r = s.malloc(100);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.err().code(), errc::no_space);
  EXPECT_LE(s.used(), s.quota());
}

TEST(dmo, a_freed_object_is_gone) {
  auto s = make(1, 1024);
  auto id = *s.malloc(8);
  ASSERT_TRUE(s.free(id));
  EXPECT_EQ(s.free(id).err().code(), errc::not_found);
  std::vector<std::byte> out(1);
  EXPECT_EQ(s.read(id, 0, out).err().code(), errc::not_found);
  EXPECT_EQ(s.count(), 0u);
}

TEST(dmo, memcpy_refuses_overlap_and_memmove_handles_it) {
  auto s = make(1, 4096);
  auto id = *s.malloc(64);
  auto data = pattern(64, 3);
  ASSERT_TRUE(s.write(id, 0, data));
  EXPECT_EQ(s.memcpy(id, 8, id, 0, 16).err().code(), errc::invalid_argument);
  ASSERT_TRUE(s.memmove(id, 8, id, 0, 16));
  std::vector<std::byte> out(16);
  ASSERT_TRUE(s.read(id, 8, out));
  EXPECT_EQ(std::memcmp(out.data(), data.data(), 16), 0);
  auto other = *s.malloc(64);
  ASSERT_TRUE(s.memcpy(other, 0, id, 32, 32));
  ASSERT_TRUE(s.read(other, 0, out));
  EXPECT_EQ(std::memcmp(out.data(), data.data() + 32, 16), 0);
}

TEST(dmo, serialise_then_rebuild_preserves_every_byte_and_id) {
  std::mt19937 rng(42);
  auto s = make(9, 1 << 20);
  std::vector<object_id> ids;
  for (int i = 0; i < 50; ++i) {
    auto id = *s.malloc(1 + rng() % 8000);
    ids.push_back(id);
  }
  // Free some to leave holes: the rebuilt copy packs them differently.
  for (int i = 0; i < 50; i += 3)
    ASSERT_TRUE(s.free(ids[static_cast<std::size_t>(i)]));
  for (const auto& e : s.entries())
    ASSERT_TRUE(s.write(e.id, 0, pattern(e.size, static_cast<unsigned>(e.id))));

  auto image = s.serialise();
  auto r = dmo_store::rebuild(image);
  ASSERT_TRUE(r) << r.err().message();
  EXPECT_EQ(r->owner(), 9u);
  EXPECT_EQ(r->next_seq(), s.next_seq());
  EXPECT_EQ(r->quota(), s.quota());
  auto before = s.entries();
  auto after = r->entries();
  ASSERT_EQ(before.size(), after.size());
  for (std::size_t i = 0; i < before.size(); ++i) {
    ASSERT_EQ(before[i].id, after[i].id);
    ASSERT_EQ(before[i].size, after[i].size);
    std::vector<std::byte> x(before[i].size), y(after[i].size);
    ASSERT_TRUE(s.read(before[i].id, 0, x));
    ASSERT_TRUE(r->read(after[i].id, 0, y));
    ASSERT_EQ(x, y) << "object " << before[i].id;
  }
  // New allocations on the rebuilt side never reuse an old id.
  auto fresh = r->malloc(8);
  ASSERT_TRUE(fresh);
  EXPECT_EQ(object_seq(*fresh), s.next_seq());
}

TEST(dmo, rebuilding_a_damaged_image_fails_with_protocol_error) {
  auto s = make(3, 4096);
  ASSERT_TRUE(s.write(*s.malloc(100), 0, pattern(100, 1)));
  auto image = s.serialise();
  auto truncated = image;
  truncated.resize(truncated.size() - 8);
  EXPECT_EQ(dmo_store::rebuild(truncated).err().code(), errc::protocol_error);
  auto bad_magic = image;
  bad_magic[0] = std::byte{0};
  EXPECT_EQ(dmo_store::rebuild(bad_magic).err().code(), errc::protocol_error);
  // An object claiming an enormous size must not read past the image.
  auto huge = image;
  wire::dmo_image_obj o{};
  std::memcpy(&o, huge.data() + sizeof(wire::dmo_image_hdr), sizeof(o));
  o.size = ~0ULL - 3;
  std::memcpy(huge.data() + sizeof(wire::dmo_image_hdr), &o, sizeof(o));
  EXPECT_EQ(dmo_store::rebuild(huge).err().code(), errc::protocol_error);
  EXPECT_EQ(dmo_store::rebuild({}).err().code(), errc::protocol_error);
}

TEST(dmo, an_actor_id_of_zero_owns_nothing) {
  EXPECT_EQ(dmo_store::create(0, 4096).err().code(), errc::invalid_argument);
}
