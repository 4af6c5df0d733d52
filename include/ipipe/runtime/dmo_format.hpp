#pragma once

#include <cstdint>
#include <type_traits>

/// The byte layouts of an actor's serialised state: the DMO image used by
/// `dmo_store::serialise()` and the payloads of the IPIPE_MSG_MIG_* messages
/// that stream the same records over a migration ring.
///
/// All fields are little endian (both sides of ipipe are), fixed size and
/// 8-byte aligned, so a record can be copied out of untrusted memory with
/// one memcpy and then validated.
namespace ipipe::runtime::wire {

/// "DMOI": first word of a serialised DMO image.
inline constexpr std::uint32_t dmo_image_magic = 0x494f4d44;
/// Version of the image and migration payload layouts.
inline constexpr std::uint32_t dmo_image_version = 1;

/// Starts a DMO image: the object table's summary.
struct dmo_image_hdr {
  std::uint32_t magic;       ///< dmo_image_magic
  std::uint32_t version;     ///< dmo_image_version
  std::uint32_t owner;       ///< actor id owning every object
  std::uint32_t count;       ///< objects that follow
  std::uint64_t quota;       ///< arena size the owner was given
  std::uint64_t total_bytes; ///< sum of the objects' sizes
  std::uint32_t next_seq;    ///< next object sequence number to hand out
  std::uint32_t resv;        ///< zero
};

/// One object in an image, followed by `size` bytes padded to 8.
struct dmo_image_obj {
  std::uint64_t id;   ///< object id, kept on rebuild
  std::uint64_t size; ///< bytes
};

/// IPIPE_MSG_MIG_BEGIN payload: who is moving and what it holds.
struct mig_begin {
  char type[32];               ///< actor type name, NUL-terminated
  std::uint32_t group;         ///< enum ipipe_sched_group
  std::uint32_t flags;         ///< mig_f_*
  std::uint64_t budget_ns;     ///< handler budget
  std::uint64_t requests;      ///< statistics carried over
  std::uint64_t exec_ns_sum;   ///< statistics carried over
  std::uint64_t exec_ns_sumsq; ///< statistics carried over (saturating)
  std::uint64_t migrations;    ///< completed migrations before this one
  dmo_image_hdr image;         ///< the object table's summary
};

/// IPIPE_MSG_MIG_OBJECT payload header, followed by `chunk_len` bytes of
/// the object starting at `chunk_off`. Chunks of one object arrive in
/// order; the first (chunk_off 0) creates the object.
struct mig_object {
  std::uint64_t id;        ///< object id
  std::uint64_t size;      ///< the whole object's size
  std::uint64_t chunk_off; ///< where this chunk goes in the object
  std::uint32_t chunk_len; ///< bytes after this header
  std::uint32_t resv;      ///< zero
};

/// IPIPE_MSG_MIG_END payload. The actor's outputs from before it left are
/// on the message ring, its stream on the migration ring: the receiver
/// lets it run only once it has taken in `msg_seq` messages from the
/// message ring, so nothing it sends from its new side overtakes them.
struct mig_end {
  std::uint64_t msg_seq; ///< messages the sender queued for the message ring
};

/// mig_begin::flags: the sender (a NIC) keeps what it needs to rebuild
/// the actor if the receiver (the host runtime) dies. The receiver then
/// takes every input of the actor from the peer ring, ticks included, so
/// the sender's log of them is complete, and checkpoints it on request.
inline constexpr std::uint32_t mig_f_recoverable = 1U << 0;

/// IPIPE_MSG_MIG_CKPT stages (the message's `req_id`), all on the
/// migration ring.
enum class ckpt_stage : std::uint64_t {
  /// NIC -> host: please checkpoint `dst_actor` (no payload).
  request = 0,
  /// host -> NIC: a checkpoint starts (payload ckpt_begin).
  begin = 1,
  /// host -> NIC: image bytes (payload: u64 offset, then the bytes).
  data = 2,
  /// host -> NIC: the image is complete (no payload).
  end = 3,
};

/// IPIPE_MSG_MIG_CKPT `begin` payload: where in the actor's input and
/// output streams the image was taken.
struct ckpt_begin {
  std::uint64_t inputs;      ///< messages handled since the actor arrived
  std::uint64_t outputs;     ///< messages it sent since it arrived
  std::uint64_t image_bytes; ///< size of the dmo_store::serialise() image
};

/// IPIPE_MSG_MIG_ACK stages (the ack's `req_id`).
enum class ack_stage : std::uint64_t {
  /// The destination stopped forwarding the actor's requests: sent on the
  /// *message* ring, behind every request it forwarded before.
  fence = 1,
  /// The destination rebuilt the actor and runs it now: sent on the
  /// migration ring.
  takeover = 2,
  /// The destination cannot take the actor (unknown type, no memory, not
  /// in a state to receive it): sent on the migration ring in answer to
  /// MIG_BEGIN; the sender resumes the actor itself.
  refused = 3,
};

/// IPIPE_MSG_ERROR payload.
struct error_payload {
  std::uint32_t status; ///< enum ipipe_status
  std::uint32_t code;   ///< ipipe::errc, the finer reason
};

static_assert(sizeof(dmo_image_hdr) == 40);
static_assert(sizeof(dmo_image_obj) == 16);
static_assert(sizeof(mig_begin) == 120);
static_assert(sizeof(mig_object) == 32);
static_assert(sizeof(ckpt_begin) == 24);
static_assert(sizeof(mig_end) == 8);
static_assert(std::is_trivially_copyable_v<mig_begin>);

} // namespace ipipe::runtime::wire
