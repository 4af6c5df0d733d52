#include <ipipe/runtime/dmo_format.hpp>
#include <ipipe/runtime/dmo_store.hpp>

#include <cstring>
#include <limits>

namespace ipipe::runtime {

namespace {

constexpr std::uint64_t page_round(std::uint64_t v) noexcept {
  return (v + 4095) & ~4095ULL;
}
constexpr std::uint64_t pad8(std::uint64_t v) noexcept {
  return (v + 7) & ~7ULL;
}

} // namespace

dmo_store::dmo_store(actor_id owner, mmap_region mem, std::uint64_t quota)
    : owner_(owner), mem_(std::move(mem)), arena_(quota) {}

expected<dmo_store> dmo_store::create(actor_id owner, std::uint64_t quota, mmap_region recycled) {
  if (owner == 0)
    return error{errc::invalid_argument, "actor id 0 owns no objects"};
  // Quotas are rounded down to the arena alignment; the mapping to pages.
  quota &= ~(arena::alignment - 1);
  mmap_region mem;
  if (quota > 0 && recycled.size() >= page_round(quota)) {
    mem = std::move(recycled);
  } else if (quota > 0) {
    auto m = mmap_region::map_anonymous(page_round(quota));
    if (!m)
      return m.err();
    mem = std::move(*m);
  }
  return dmo_store{owner, std::move(mem), quota};
}

mmap_region dmo_store::take_memory() && {
  table_.clear();
  arena_ = arena{0};
  total_bytes_ = 0;
  return std::move(mem_);
}

expected<dmo_store::slot> dmo_store::lookup(object_id id) const {
  if (object_owner(id) != owner_)
    return error{errc::permission_denied, "object belongs to another actor"};
  auto it = table_.find(id);
  if (it == table_.end())
    return error{errc::not_found, "no such object"};
  return it->second;
}

expected<std::byte*> dmo_store::range(object_id id, std::uint64_t off, std::uint64_t len) const {
  auto s = lookup(id);
  if (!s)
    return s.err();
  // Written so that no sum can wrap: off <= size, then len <= size - off.
  if (off > s->size || len > s->size - off)
    return error{errc::bad_length, "range outside the object"};
  return mem_.data() + s->base + off;
}

expected<object_id> dmo_store::malloc(std::uint64_t size) {
  if (size == 0)
    return error{errc::bad_length, "zero-sized object"};
  if (next_seq_ == 0)
    return error{errc::no_space, "object ids exhausted"};
  auto off = arena_.allocate(size);
  if (!off)
    return error{errc::no_space, "memory quota exhausted"};
  std::memset(mem_.data() + *off, 0, size);
  const object_id id = make_object_id(owner_, next_seq_);
  ++next_seq_; // wraps to 0 after 2^32 - 1 ids: checked above
  table_.emplace(id, slot{*off, size});
  total_bytes_ += size;
  return id;
}

expected<void> dmo_store::free(object_id id) {
  auto s = lookup(id);
  if (!s)
    return s.err();
  if (auto r = arena_.release(s->base); !r)
    return r;
  total_bytes_ -= s->size;
  table_.erase(id);
  return {};
}

expected<void> dmo_store::memset(object_id id, std::uint64_t off, std::uint8_t value,
                                 std::uint64_t len) {
  auto p = range(id, off, len);
  if (!p)
    return p.err();
  std::memset(*p, value, len);
  return {};
}

expected<void> dmo_store::memcpy(object_id dst, std::uint64_t dst_off, object_id src,
                                 std::uint64_t src_off, std::uint64_t len) {
  auto d = range(dst, dst_off, len);
  if (!d)
    return d.err();
  auto s = range(src, src_off, len);
  if (!s)
    return s.err();
  // Unlike glibc we can afford the check, and an overlap is a bug to report.
  if (len > 0 && *d < *s + len && *s < *d + len)
    return error{errc::invalid_argument, "memcpy ranges overlap"};
  std::memcpy(*d, *s, len);
  return {};
}

expected<void> dmo_store::memmove(object_id dst, std::uint64_t dst_off, object_id src,
                                  std::uint64_t src_off, std::uint64_t len) {
  auto d = range(dst, dst_off, len);
  if (!d)
    return d.err();
  auto s = range(src, src_off, len);
  if (!s)
    return s.err();
  std::memmove(*d, *s, len);
  return {};
}

expected<void> dmo_store::read(object_id id, std::uint64_t off, std::span<std::byte> out) const {
  auto p = range(id, off, out.size());
  if (!p)
    return p.err();
  if (!out.empty()) // an empty span may hold a null pointer: memcpy's UB
    std::memcpy(out.data(), *p, out.size());
  return {};
}

expected<void> dmo_store::write(object_id id, std::uint64_t off, std::span<const std::byte> in) {
  auto p = range(id, off, in.size());
  if (!p)
    return p.err();
  if (!in.empty())
    std::memcpy(*p, in.data(), in.size());
  return {};
}

expected<dmo_entry> dmo_store::find(object_id id) const {
  auto s = lookup(id);
  if (!s)
    return s.err();
  return dmo_entry{id, owner_, s->base, s->size};
}

std::vector<dmo_entry> dmo_store::entries() const {
  std::vector<dmo_entry> out;
  out.reserve(table_.size());
  for (const auto& [id, s] : table_)
    out.push_back({id, owner_, s.base, s.size});
  return out;
}

expected<std::span<std::byte>> dmo_store::span_of(object_id id) {
  auto s = lookup(id);
  if (!s)
    return s.err();
  return std::span<std::byte>{mem_.data() + s->base, s->size};
}

expected<std::span<std::byte>> dmo_store::restore(object_id id, std::uint64_t size) {
  if (object_owner(id) != owner_)
    return error{errc::permission_denied, "object belongs to another actor"};
  if (object_seq(id) == 0)
    return error{errc::invalid_argument, "object sequence 0 is never used"};
  if (table_.contains(id))
    return error{errc::exists, "object id already present"};
  if (size == 0)
    return error{errc::bad_length, "zero-sized object"};
  auto off = arena_.allocate(size);
  if (!off)
    return error{errc::no_space, "memory quota exhausted"};
  table_.emplace(id, slot{*off, size});
  total_bytes_ += size;
  // The sequence counter must stay ahead of every id present.
  if (object_seq(id) >= next_seq_ && object_seq(id) != std::numeric_limits<std::uint32_t>::max())
    next_seq_ = object_seq(id) + 1;
  return std::span<std::byte>{mem_.data() + *off, size};
}

std::vector<std::byte> dmo_store::serialise() const {
  std::uint64_t bytes = sizeof(wire::dmo_image_hdr);
  for (const auto& [id, s] : table_)
    bytes += sizeof(wire::dmo_image_obj) + pad8(s.size);
  std::vector<std::byte> out(bytes);
  wire::dmo_image_hdr h{};
  h.magic = wire::dmo_image_magic;
  h.version = wire::dmo_image_version;
  h.owner = owner_;
  h.count = static_cast<std::uint32_t>(table_.size());
  h.quota = arena_.capacity();
  h.total_bytes = total_bytes_;
  h.next_seq = next_seq_;
  std::memcpy(out.data(), &h, sizeof(h));
  std::uint64_t pos = sizeof(h);
  for (const auto& [id, s] : table_) {
    const wire::dmo_image_obj o{id, s.size};
    std::memcpy(out.data() + pos, &o, sizeof(o));
    pos += sizeof(o);
    std::memcpy(out.data() + pos, mem_.data() + s.base, s.size);
    pos += pad8(s.size);
  }
  return out;
}

expected<dmo_store> dmo_store::rebuild(std::span<const std::byte> image) {
  const auto bad = [](const char* why) { return error{errc::protocol_error, why}; };
  wire::dmo_image_hdr h{};
  if (image.size() < sizeof(h))
    return bad("image shorter than its header");
  std::memcpy(&h, image.data(), sizeof(h));
  if (h.magic != wire::dmo_image_magic || h.version != wire::dmo_image_version || h.resv != 0)
    return bad("not a DMO image of this version");
  auto st = create(h.owner, h.quota);
  if (!st)
    return st.err();
  std::uint64_t pos = sizeof(h);
  for (std::uint32_t i = 0; i < h.count; ++i) {
    wire::dmo_image_obj o{};
    if (image.size() - pos < sizeof(o))
      return bad("image truncated in an object header");
    std::memcpy(&o, image.data() + pos, sizeof(o));
    pos += sizeof(o);
    if (o.size > image.size() - pos || pad8(o.size) > image.size() - pos)
      return bad("image truncated in object data");
    auto dst = st->restore(o.id, o.size);
    if (!dst)
      return dst.err();
    std::memcpy(dst->data(), image.data() + pos, o.size);
    pos += pad8(o.size);
  }
  if (pos != image.size() || st->total_bytes() != h.total_bytes)
    return bad("image size or totals disagree with its header");
  // A counter behind an id present would hand that id out twice.
  if (h.next_seq != 0 && h.next_seq < st->next_seq())
    return bad("next sequence number behind an object id");
  st->set_next_seq(h.next_seq);
  return st;
}

} // namespace ipipe::runtime
