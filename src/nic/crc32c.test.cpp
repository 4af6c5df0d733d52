#include <ipipe/nic/crc32c.hpp>

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

using namespace ipipe::nic;

namespace {

std::vector<unsigned char> random_bytes(std::size_t n, unsigned seed) {
  std::mt19937 rng{seed};
  std::vector<unsigned char> v(n);
  for (auto& b : v)
    b = static_cast<unsigned char>(rng());
  return v;
}

// Every engine this CPU supports.
std::vector<crc32c_engine> engines() {
  std::vector<crc32c_engine> e;
  for (int i = 0; i <= static_cast<int>(crc32c_best()); ++i)
    e.push_back(static_cast<crc32c_engine>(i));
  return e;
}

} // namespace

// RFC 3720 (iSCSI) appendix B.4 and the usual check value.
TEST(crc32c, known_vectors_match_the_published_values_with_every_engine) {
  for (crc32c_engine e : engines()) {
    SCOPED_TRACE(static_cast<int>(e));
    EXPECT_EQ(crc32c_with(e, "123456789", 9), 0xe3069283u);
    unsigned char buf[32];
    std::memset(buf, 0, sizeof(buf));
    EXPECT_EQ(crc32c_with(e, buf, 32), 0x8a9136aau);
    std::memset(buf, 0xff, sizeof(buf));
    EXPECT_EQ(crc32c_with(e, buf, 32), 0x62a8ab43u);
    for (int i = 0; i < 32; ++i)
      buf[i] = static_cast<unsigned char>(i);
    EXPECT_EQ(crc32c_with(e, buf, 32), 0x46dd794eu);
    EXPECT_EQ(crc32c_with(e, buf, 0), 0u);
  }
}

TEST(crc32c, every_engine_agrees_with_the_table_for_awkward_lengths_and_offsets) {
  const auto data = random_bytes(200000, 1);
  for (crc32c_engine e : engines())
    for (std::size_t len : {1ul, 7ul, 15ul, 16ul, 17ul, 127ul, 128ul, 129ul, 255ul, 256ul, 257ul,
                            383ul, 4095ul, 12287ul, 12288ul, 12289ul, 65537ul, 199990ul})
      for (std::size_t off : {0ul, 1ul, 3ul, 8ul})
        EXPECT_EQ(crc32c_with(e, data.data() + off, len, 0x1234567),
                  crc32c_with(crc32c_engine::portable, data.data() + off, len, 0x1234567))
            << "engine " << static_cast<int>(e) << " len " << len << " off " << off;
}

TEST(crc32c, chaining_equals_one_pass) {
  const auto data = random_bytes(100000, 2);
  const std::uint32_t whole = crc32c(data.data(), data.size());
  for (std::size_t cut : {1ul, 300ul, 4096ul, 12288ul, 50001ul}) {
    std::uint32_t c = crc32c(data.data(), cut);
    EXPECT_EQ(crc32c(data.data() + cut, data.size() - cut, c), whole) << "cut " << cut;
  }
}

TEST(crc32c, copy_crc_copies_and_checksums_in_one_pass_with_every_engine) {
  const auto src = random_bytes(300001, 3);
  for (crc32c_engine e : engines())
    for (std::size_t len : {0ul, 5ul, 130ul, 300ul, 12288ul, 36865ul, 300001ul}) {
      std::vector<unsigned char> dst(len + 1, 0xaa);
      EXPECT_EQ(copy_crc32c_with(e, dst.data(), src.data(), len, 7),
                crc32c_with(crc32c_engine::portable, src.data(), len, 7))
          << "engine " << static_cast<int>(e) << " len " << len;
      EXPECT_EQ(std::memcmp(dst.data(), src.data(), len), 0);
      EXPECT_EQ(dst[len], 0xaa) << "wrote past the end";
    }
}
