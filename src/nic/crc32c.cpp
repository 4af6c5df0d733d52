// CRC32C engines, fastest first:
//  - clmul256/clmul128: carry-less multiplication folds 128-bit blocks of
//    the message forward onto blocks further on (x^d mod P congruences);
//    the one block left is reduced by the crc32 instruction, which saves a
//    Barrett reduction. The copy variants store each block as they load it.
//  - crc32_insn: three independent crc32 chains (the instruction has a
//    latency of three cycles) merged with a precomputed "append zeros"
//    operator.
//  - portable: slicing-by-8 tables.
// All engines work on the raw register (no pre/post inversion).
#include <ipipe/nic/crc32c.hpp>

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace ipipe::nic {
namespace {

constexpr std::uint32_t poly_reflected = 0x82f63b78u;
constexpr std::uint64_t poly_normal = 0x11edc6f41ull; // with the x^32 term

using table8 = std::array<std::array<std::uint32_t, 256>, 8>;

constexpr table8 make_tables() {
  table8 t{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k)
      c = (c & 1) ? (c >> 1) ^ poly_reflected : c >> 1;
    t[0][i] = c;
  }
  for (std::uint32_t i = 0; i < 256; ++i)
    for (std::size_t k = 1; k < 8; ++k)
      t[k][i] = (t[k - 1][i] >> 8) ^ t[0][t[k - 1][i] & 0xff];
  return t;
}

constexpr table8 tab = make_tables();

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

// -- crc32 instruction --------------------------------------------------

constexpr std::size_t lane = 4096; // bytes per chain in the three-chain loop

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

// shift(s) = the register after feeding `lane` zero bytes to state s; linear
// in s, so four byte tables built from the 32 unit vectors represent it.
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

template <bool Copy>
[[gnu::target("sse4.2")]] std::uint32_t hw_raw3(std::uint32_t r, unsigned char* d,
                                                const unsigned char* s, std::size_t n) noexcept {
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
        if constexpr (Copy) {
          std::memcpy(d + i, &a, 8);
          std::memcpy(d + lane + i, &b, 8);
          std::memcpy(d + 2 * lane + i, &c, 8);
        }
      }
      r = shift(shift(static_cast<std::uint32_t>(c0)) ^ static_cast<std::uint32_t>(c1)) ^
          static_cast<std::uint32_t>(c2);
      s += 3 * lane;
      if constexpr (Copy)
        d += 3 * lane;
      n -= 3 * lane;
    } while (n >= 3 * lane);
  }
  if constexpr (Copy)
    std::memcpy(d, s, n);
  return hw_raw(r, s, n);
}

// -- carry-less multiplication folding ------------------------------------
//
// Bytes are reflected polynomials: bit i of a little-endian 64-bit word is
// the coefficient of x^(63-i), and the first qword of a 128-bit block holds
// the higher powers. clmul of two such qwords yields x * a * b as a 128-bit
// block, so folding block A forward by d bits (A * x^d, congruent mod P and
// below 96 bits) takes the constants x^(d+63) and x^(d-1) mod P for its two
// halves.

constexpr std::uint64_t xpow_mod(unsigned n) noexcept {
  std::uint64_t r = 1;
  for (unsigned i = 0; i < n; ++i) {
    r <<= 1;
    if (r & (1ull << 32))
      r ^= poly_normal;
  }
  return r;
}

constexpr std::uint64_t reflect64(std::uint64_t v) noexcept {
  std::uint64_t r = 0;
  for (int i = 0; i < 64; ++i)
    if ((v >> i) & 1)
      r |= 1ull << (63 - i);
  return r;
}

struct fold_consts {
  std::uint64_t first; // for the first (higher) qword
  std::uint64_t second;
};

constexpr fold_consts consts_for(unsigned bits) noexcept {
  return {reflect64(xpow_mod(bits + 63)), reflect64(xpow_mod(bits - 1))};
}

constexpr fold_consts k128 = consts_for(128);
constexpr fold_consts k512 = consts_for(512);
constexpr fold_consts k1024 = consts_for(1024);

[[gnu::target("pclmul,sse4.2")]] inline __m128i make_k(fold_consts k) noexcept {
  return _mm_set_epi64x(static_cast<long long>(k.second), static_cast<long long>(k.first));
}

[[gnu::target("pclmul,sse4.2")]] inline __m128i fold(__m128i x, __m128i k) noexcept {
  return _mm_xor_si128(_mm_clmulepi64_si128(x, k, 0x00), _mm_clmulepi64_si128(x, k, 0x11));
}

// Reduces the last block with the crc32 instruction, then the tail.
template <bool Copy>
[[gnu::target("pclmul,sse4.2")]] std::uint32_t
finish(__m128i acc, unsigned char* d, const unsigned char* s, std::size_t n) noexcept {
  const __m128i k = make_k(k128);
  while (n >= 16) {
    __m128i y = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s));
    if constexpr (Copy) {
      _mm_storeu_si128(reinterpret_cast<__m128i*>(d), y);
      d += 16;
    }
    acc = _mm_xor_si128(fold(acc, k), y);
    s += 16;
    n -= 16;
  }
  std::uint64_t c = _mm_crc32_u64(0, static_cast<std::uint64_t>(_mm_cvtsi128_si64(acc)));
  c = _mm_crc32_u64(c, static_cast<std::uint64_t>(_mm_extract_epi64(acc, 1)));
  if constexpr (Copy)
    std::memcpy(d, s, n);
  return hw_raw(static_cast<std::uint32_t>(c), s, n);
}

template <bool Copy>
[[gnu::target("pclmul,sse4.2")]] std::uint32_t
clmul128(std::uint32_t r, unsigned char* d, const unsigned char* s, std::size_t n) noexcept {
  if (n < 128)
    return hw_raw3<Copy>(r, d, s, n);
  auto load = [&](std::size_t off) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + off));
    if constexpr (Copy)
      _mm_storeu_si128(reinterpret_cast<__m128i*>(d + off), v);
    return v;
  };
  __m128i x0 = load(0), x1 = load(16), x2 = load(32), x3 = load(48);
  x0 = _mm_xor_si128(x0, _mm_cvtsi32_si128(static_cast<int>(r))); // the initial state
  std::size_t off = 64;
  const __m128i k = make_k(k512);
  for (; n - off >= 64; off += 64) {
    x0 = _mm_xor_si128(fold(x0, k), load(off));
    x1 = _mm_xor_si128(fold(x1, k), load(off + 16));
    x2 = _mm_xor_si128(fold(x2, k), load(off + 32));
    x3 = _mm_xor_si128(fold(x3, k), load(off + 48));
  }
  const __m128i k1 = make_k(k128);
  x1 = _mm_xor_si128(fold(x0, k1), x1);
  x2 = _mm_xor_si128(fold(x1, k1), x2);
  x3 = _mm_xor_si128(fold(x2, k1), x3);
  return finish<Copy>(x3, d + off, s + off, n - off);
}

template <bool Copy>
[[gnu::target("avx2")]] inline __m256i load256(const unsigned char* s, unsigned char* d,
                                               std::size_t off) noexcept {
  __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(s + off));
  if constexpr (Copy)
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(d + off), v);
  return v;
}

[[gnu::target("avx2,vpclmulqdq")]] inline __m256i fold2(__m256i x, __m256i k) noexcept {
  return _mm256_xor_si256(_mm256_clmulepi64_epi128(x, k, 0x00),
                          _mm256_clmulepi64_epi128(x, k, 0x11));
}

template <bool Copy>
[[gnu::target("avx2,vpclmulqdq,pclmul,sse4.2")]] std::uint32_t
clmul256(std::uint32_t r, unsigned char* d, const unsigned char* s, std::size_t n) noexcept {
  if (n < 256)
    return clmul128<Copy>(r, d, s, n);
  const __m256i k = _mm256_broadcastsi128_si256(make_k(k1024));
  __m256i x0 = load256<Copy>(s, d, 0), x1 = load256<Copy>(s, d, 32);
  __m256i x2 = load256<Copy>(s, d, 64), x3 = load256<Copy>(s, d, 96);
  x0 = _mm256_xor_si256(x0, _mm256_zextsi128_si256(_mm_cvtsi32_si128(static_cast<int>(r))));
  std::size_t off = 128;
  for (; n - off >= 128; off += 128) {
    x0 = _mm256_xor_si256(fold2(x0, k), load256<Copy>(s, d, off));
    x1 = _mm256_xor_si256(fold2(x1, k), load256<Copy>(s, d, off + 32));
    x2 = _mm256_xor_si256(fold2(x2, k), load256<Copy>(s, d, off + 64));
    x3 = _mm256_xor_si256(fold2(x3, k), load256<Copy>(s, d, off + 96));
  }
  // Eight consecutive 128-bit blocks left: fold them into one.
  const __m128i k1 = make_k(k128);
  __m128i acc = _mm256_castsi256_si128(x0);
  acc = _mm_xor_si128(fold(acc, k1), _mm256_extracti128_si256(x0, 1));
  acc = _mm_xor_si128(fold(acc, k1), _mm256_castsi256_si128(x1));
  acc = _mm_xor_si128(fold(acc, k1), _mm256_extracti128_si256(x1, 1));
  acc = _mm_xor_si128(fold(acc, k1), _mm256_castsi256_si128(x2));
  acc = _mm_xor_si128(fold(acc, k1), _mm256_extracti128_si256(x2, 1));
  acc = _mm_xor_si128(fold(acc, k1), _mm256_castsi256_si128(x3));
  acc = _mm_xor_si128(fold(acc, k1), _mm256_extracti128_si256(x3, 1));
  return finish<Copy>(acc, d + off, s + off, n - off);
}

crc32c_engine detect() noexcept {
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("sse4.2"))
    return crc32c_engine::portable;
  if (!__builtin_cpu_supports("pclmul"))
    return crc32c_engine::crc32_insn;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("vpclmulqdq"))
    return crc32c_engine::clmul256;
  return crc32c_engine::clmul128;
}

#else

crc32c_engine detect() noexcept {
  return crc32c_engine::portable;
}

#endif

const crc32c_engine best = detect();

template <bool Copy>
std::uint32_t run(crc32c_engine e, unsigned char* d, const unsigned char* s, std::size_t n,
                  std::uint32_t crc) noexcept {
  const std::uint32_t r = ~crc;
#if defined(__x86_64__)
  switch (e) {
  case crc32c_engine::clmul256:
    return ~clmul256<Copy>(r, d, s, n);
  case crc32c_engine::clmul128:
    return ~clmul128<Copy>(r, d, s, n);
  case crc32c_engine::crc32_insn:
    return ~hw_raw3<Copy>(r, d, s, n);
  case crc32c_engine::portable:
    break;
  }
#else
  (void)e;
#endif
  if constexpr (Copy)
    std::memcpy(d, s, n);
  return ~sw_raw(r, s, n);
}

} // namespace

crc32c_engine crc32c_best() noexcept {
  return best;
}

std::uint32_t crc32c_with(crc32c_engine e, const void* data, std::size_t n,
                          std::uint32_t crc) noexcept {
  // The no-copy variants never write through `d`; it only keeps the
  // pointer arithmetic of the shared code defined.
  auto* p = static_cast<const unsigned char*>(data);
  return run<false>(e, const_cast<unsigned char*>(p), p, n, crc);
}

std::uint32_t copy_crc32c_with(crc32c_engine e, void* dst, const void* src, std::size_t n,
                               std::uint32_t crc) noexcept {
  return run<true>(e, static_cast<unsigned char*>(dst), static_cast<const unsigned char*>(src), n,
                   crc);
}

std::uint32_t crc32c(const void* data, std::size_t n, std::uint32_t crc) noexcept {
  return crc32c_with(best, data, n, crc);
}

std::uint32_t copy_crc32c(void* dst, const void* src, std::size_t n, std::uint32_t crc) noexcept {
  return copy_crc32c_with(best, dst, src, n, crc);
}

} // namespace ipipe::nic
