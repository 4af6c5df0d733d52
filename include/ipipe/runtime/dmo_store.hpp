#pragma once

#include <ipipe/common/expected.hpp>
#include <ipipe/common/mmap_region.hpp>
#include <ipipe/runtime/arena.hpp>
#include <ipipe/runtime/ids.hpp>

#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <vector>

namespace ipipe::runtime {

/// One row of the object table.
struct dmo_entry {
  object_id id = 0;       ///< object id
  actor_id owner = 0;     ///< owning actor
  std::uint64_t base = 0; ///< offset of the object in its owner's arena
  std::uint64_t size = 0; ///< bytes the owner asked for
};

/// The distributed memory objects of one actor: its arena (a private
/// mapping of `quota` bytes, populated lazily) and its object table.
///
/// Every access names an object id and is checked: an id owned by another
/// actor is errc::permission_denied whether or not it exists (so an actor
/// cannot probe its neighbours), an unknown id of our own is
/// errc::not_found, a range outside the object is errc::bad_length, and an
/// allocation the quota cannot hold is errc::no_space. Not thread safe: the
/// runtime serialises access per actor.
class dmo_store {
public:
  /// Creates an empty store for `owner` with an arena of `quota` bytes,
  /// reusing `recycled` if it is large enough (see take_memory()).
  [[nodiscard]] static expected<dmo_store> create(actor_id owner, std::uint64_t quota,
                                                  mmap_region recycled = {});
  /// Returns the arena's memory, emptying the store, so a runtime can hand
  /// it to the next store instead of unmapping and faulting it in again.
  /// Its old bytes stay: malloc() zero-fills and restore() overwrites.
  [[nodiscard]] mmap_region take_memory() &&;

  dmo_store(dmo_store&&) noexcept = default;
  dmo_store& operator=(dmo_store&&) noexcept = default;

  // -- the DMO API (paper, Table 4) -----------------------------------------

  /// Returns the id of a new zero-filled object of `size` bytes.
  [[nodiscard]] expected<object_id> malloc(std::uint64_t size);
  /// Frees object `id`.
  [[nodiscard]] expected<void> free(object_id id);
  /// Sets `len` bytes of `id` from `off` to `value`.
  [[nodiscard]] expected<void> memset(object_id id, std::uint64_t off, std::uint8_t value,
                                      std::uint64_t len);
  /// Copies `len` bytes between objects; errc::invalid_argument if the two
  /// ranges overlap (use memmove).
  [[nodiscard]] expected<void> memcpy(object_id dst, std::uint64_t dst_off, object_id src,
                                      std::uint64_t src_off, std::uint64_t len);
  /// Copies `len` bytes between objects; the ranges may overlap.
  [[nodiscard]] expected<void> memmove(object_id dst, std::uint64_t dst_off, object_id src,
                                       std::uint64_t src_off, std::uint64_t len);
  /// Copies bytes of `id` from `off` into `out`.
  [[nodiscard]] expected<void> read(object_id id, std::uint64_t off,
                                    std::span<std::byte> out) const;
  /// Copies `in` into `id` at `off`.
  [[nodiscard]] expected<void> write(object_id id, std::uint64_t off,
                                     std::span<const std::byte> in);

  // -- inspection ------------------------------------------------------------

  /// Returns the table entry of `id` after the ownership check.
  [[nodiscard]] expected<dmo_entry> find(object_id id) const;
  /// Returns the object table, ordered by id.
  [[nodiscard]] std::vector<dmo_entry> entries() const;
  /// Returns the bytes of `id` in place (for the migration engine's bulk
  /// copies; actors never see pointers).
  [[nodiscard]] expected<std::span<std::byte>> span_of(object_id id);
  /// Returns the owning actor.
  [[nodiscard]] actor_id owner() const noexcept { return owner_; }
  /// Returns the arena size.
  [[nodiscard]] std::uint64_t quota() const noexcept { return arena_.capacity(); }
  /// Returns the arena bytes in use, including rounding.
  [[nodiscard]] std::uint64_t used() const noexcept { return arena_.used(); }
  /// Returns the number of objects.
  [[nodiscard]] std::size_t count() const noexcept { return table_.size(); }
  /// Returns the sum of the objects' sizes.
  [[nodiscard]] std::uint64_t total_bytes() const noexcept { return total_bytes_; }
  /// Returns the sequence number the next malloc() will use.
  [[nodiscard]] std::uint32_t next_seq() const noexcept { return next_seq_; }
  /// Returns the allocator (for fragmentation statistics).
  [[nodiscard]] const arena& allocator() const noexcept { return arena_; }

  // -- relocation ------------------------------------------------------------

  /// Returns every object and the object table as one image
  /// (wire::dmo_image_hdr, then wire::dmo_image_obj + bytes per object).
  [[nodiscard]] std::vector<std::byte> serialise() const;
  /// Builds a store from an image; the objects keep their ids, their
  /// addresses may differ. errc::protocol_error on a malformed image.
  [[nodiscard]] static expected<dmo_store> rebuild(std::span<const std::byte> image);
  /// Creates object `id` of `size` bytes (rebuild on a migration target);
  /// errc::exists if the id is taken.
  [[nodiscard]] expected<std::span<std::byte>> restore(object_id id, std::uint64_t size);
  /// Sets the next sequence number (carried by a migration).
  void set_next_seq(std::uint32_t seq) noexcept { next_seq_ = seq; }

private:
  struct slot {
    std::uint64_t base;
    std::uint64_t size;
  };
  dmo_store(actor_id owner, mmap_region mem, std::uint64_t quota);
  [[nodiscard]] expected<slot> lookup(object_id id) const;
  [[nodiscard]] expected<std::byte*> range(object_id id, std::uint64_t off,
                                           std::uint64_t len) const;

  actor_id owner_ = 0;
  mmap_region mem_;
  arena arena_;
  std::map<object_id, slot> table_;
  std::uint64_t total_bytes_ = 0;
  std::uint32_t next_seq_ = 1;
};

} // namespace ipipe::runtime
