// CRC32C: a slicing-by-8 table version for any CPU, and an SSE4.2 version
// that runs three independent crc32 chains (the instruction has a latency of
// about three cycles, so one chain would leave the unit idle two thirds of
// the time) and merges them with a precomputed "append zeros" operator.
#include <ipipe/nic/crc32c.hpp>

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace ipipe::nic {
namespace {

constexpr std::uint32_t poly = 0x82f63b78u;

using table8 = std::array<std::array<std::uint32_t, 256>, 8>;

constexpr table8 make_tables() {
  table8 t{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k)
      c = (c & 1) ? (c >> 1) ^ poly : c >> 1;
    t[0][i] = c;
  }
  for (std::uint32_t i = 0; i < 256; ++i)
    for (std::size_t k = 1; k < 8; ++k)
      t[k][i] = (t[k - 1][i] >> 8) ^ t[0][t[k - 1][i] & 0xff];
  return t;
}

constexpr table8 tab = make_tables();

// The raw register update: no pre- or post-inversion.
std::uint32_t sw_raw(std::uint32_t r, const unsigned char* p, std::size_t n) noexcept {
  while (n >= 8) {
    std::uint64_t v;
    std::memcpy(&v, p, 8);
    v ^= r;
    r = tab[7][v & 0xff] ^ tab[6][(v >> 8) & 0xff] ^ tab[5][(v >> 16) & 0xff] ^
        tab[4][(v >> 24) & 0xff] ^ tab[3][(v >> 32) & 0xff] ^ tab[2][(v >> 40) & 0xff] ^
        tab[1][(v >> 48) & 0xff] ^ tab[0][v >> 56];
    p += 8;
    n -= 8;
  }
  while (n-- != 0)
    r = (r >> 8) ^ tab[0][(r ^ *p++) & 0xff];
  return r;
}

#if defined(__x86_64__)

// Bytes per chain in the three-chain loop.
constexpr std::size_t lane = 4096;

[[gnu::target("sse4.2")]] std::uint32_t hw_raw(std::uint32_t r, const unsigned char* p,
                                                std::size_t n) noexcept {
  std::uint64_t c = r;
  while (n >= 8) {
    std::uint64_t v;
    std::memcpy(&v, p, 8);
    c = _mm_crc32_u64(c, v);
    p += 8;
    n -= 8;
  }
  r = static_cast<std::uint32_t>(c);
  while (n-- != 0)
    r = _mm_crc32_u8(r, *p++);
  return r;
}

// shift(s) = raw CRC register after feeding `lane` zero bytes to state s.
// It is linear in s, so four byte tables built from the 32 unit vectors
// represent it exactly.
struct shift_op {
  std::array<std::array<std::uint32_t, 256>, 4> t{};

  shift_op() noexcept {
    static const std::array<unsigned char, lane> zeros{};
    std::array<std::uint32_t, 32> unit{};
    for (unsigned i = 0; i < 32; ++i)
      unit[i] = hw_raw(1u << i, zeros.data(), lane);
    for (unsigned k = 0; k < 4; ++k)
      for (unsigned v = 0; v < 256; ++v) {
        std::uint32_t x = 0;
        for (unsigned j = 0; j < 8; ++j)
          if ((v >> j) & 1)
            x ^= unit[8 * k + j];
        t[k][v] = x;
      }
  }

  std::uint32_t operator()(std::uint32_t s) const noexcept {
    return t[0][s & 0xff] ^ t[1][(s >> 8) & 0xff] ^ t[2][(s >> 16) & 0xff] ^ t[3][s >> 24];
  }
};

const shift_op& shifter() noexcept {
  static const shift_op op;
  return op;
}

[[gnu::target("sse4.2")]] std::uint32_t hw_raw3(std::uint32_t r, const unsigned char* p,
                                                 std::size_t n) noexcept {
  if (n >= 3 * lane) {
    const shift_op& shift = shifter();
    do {
      std::uint64_t c0 = r, c1 = 0, c2 = 0;
      for (std::size_t i = 0; i < lane; i += 8) {
        std::uint64_t a, b, d;
        std::memcpy(&a, p + i, 8);
        std::memcpy(&b, p + lane + i, 8);
        std::memcpy(&d, p + 2 * lane + i, 8);
        c0 = _mm_crc32_u64(c0, a);
        c1 = _mm_crc32_u64(c1, b);
        c2 = _mm_crc32_u64(c2, d);
      }
      r = shift(shift(static_cast<std::uint32_t>(c0)) ^ static_cast<std::uint32_t>(c1)) ^
          static_cast<std::uint32_t>(c2);
      p += 3 * lane;
      n -= 3 * lane;
    } while (n >= 3 * lane);
  }
  return hw_raw(r, p, n);
}

[[gnu::target("sse4.2")]] std::uint32_t hw_copy_raw3(std::uint32_t r, unsigned char* d,
                                                      const unsigned char* s,
                                                      std::size_t n) noexcept {
  if (n >= 3 * lane) {
    const shift_op& shift = shifter();
    do {
      std::uint64_t c0 = r, c1 = 0, c2 = 0;
      for (std::size_t i = 0; i < lane; i += 8) {
        std::uint64_t a, b, c;
        std::memcpy(&a, s + i, 8);
        std::memcpy(&b, s + lane + i, 8);
        std::memcpy(&c, s + 2 * lane + i, 8);
        c0 = _mm_crc32_u64(c0, a);
        c1 = _mm_crc32_u64(c1, b);
        c2 = _mm_crc32_u64(c2, c);
        std::memcpy(d + i, &a, 8);
        std::memcpy(d + lane + i, &b, 8);
        std::memcpy(d + 2 * lane + i, &c, 8);
      }
      r = shift(shift(static_cast<std::uint32_t>(c0)) ^ static_cast<std::uint32_t>(c1)) ^
          static_cast<std::uint32_t>(c2);
      s += 3 * lane;
      d += 3 * lane;
      n -= 3 * lane;
    } while (n >= 3 * lane);
  }
  std::memcpy(d, s, n);
  return hw_raw(r, s, n);
}

bool detect_hw() noexcept { return __builtin_cpu_supports("sse4.2") != 0; }

#else

bool detect_hw() noexcept { return false; }

#endif

const bool have_hw = detect_hw();

} // namespace

bool crc32c_hardware() noexcept { return have_hw; }

std::uint32_t crc32c_portable(const void* data, std::size_t n, std::uint32_t crc) noexcept {
  return ~sw_raw(~crc, static_cast<const unsigned char*>(data), n);
}

std::uint32_t crc32c(const void* data, std::size_t n, std::uint32_t crc) noexcept {
#if defined(__x86_64__)
  if (have_hw)
    return ~hw_raw3(~crc, static_cast<const unsigned char*>(data), n);
#endif
  return crc32c_portable(data, n, crc);
}

std::uint32_t copy_crc32c(void* dst, const void* src, std::size_t n, std::uint32_t crc) noexcept {
#if defined(__x86_64__)
  if (have_hw)
    return ~hw_copy_raw3(~crc, static_cast<unsigned char*>(dst),
                         static_cast<const unsigned char*>(src), n);
#endif
  std::memcpy(dst, src, n);
  return crc32c_portable(dst, n, crc);
}

} // namespace ipipe::nic
