#include "kind_names.hpp"

#include "timed_actor.hpp"
#include <cstdio>
#include <dt/dt.hpp>
#include <dt/internal.hpp>
#include <map>
#include <rkv/internal.hpp>
#include <rkv/rkv.hpp>
#include <rta/internal.hpp>
#include <rta/rta.hpp>
#include <utility>

namespace ipipe::apps::costs {

namespace {

// Each application's kinds: its client and operator kinds (enum kind) and
// its internal ones (enum ikind), which share the first payload byte.
template <class Kind>
constexpr int k(Kind v) {
  return static_cast<int>(v);
}

const std::map<int, const char*>& rkv_kinds() {
  namespace in = rkv::internal;
  using rkv::kind;
  static const std::map<int, const char*> m{
      {k(kind::get), "get"},          {k(kind::put), "put"},
      {k(kind::del), "del"},          {k(kind::configure), "configure"},
      {k(kind::stats), "stats"},      {in::k_prepare, "prepare"},
      {in::k_promise, "promise"},     {in::k_accept, "accept"},
      {in::k_accepted, "accepted"},   {in::k_status_q, "status_q"},
      {in::k_status, "status"},       {in::k_durable, "durable"},
      {in::k_apply, "apply"},         {in::k_flush, "flush"},
      {in::k_chunk, "chunk"},         {in::k_flush_end, "flush_end"},
      {in::k_flushed, "flushed"},     {in::k_ss_get, "ss_get"},
      {in::k_recover, "recover"},     {in::k_sessions, "sessions"},
      {in::k_recover_q, "recover_q"}, {in::k_recovered, "recovered"}};
  return m;
}

const std::map<int, const char*>& dt_kinds() {
  namespace in = dt::internal;
  using dt::kind;
  static const std::map<int, const char*> m{{k(kind::transfer), "transfer"},
                                            {k(kind::audit), "audit"},
                                            {k(kind::configure), "configure"},
                                            {k(kind::stats), "stats"},
                                            {k(kind::dump), "dump"},
                                            {in::k_read, "read"},
                                            {in::k_read_ok, "read_ok"},
                                            {in::k_prepare, "prepare"},
                                            {in::k_vote, "vote"},
                                            {in::k_commit, "commit"},
                                            {in::k_abort, "abort"},
                                            {in::k_ack, "ack"},
                                            {in::k_query, "query"},
                                            {in::k_sum_q, "sum_q"},
                                            {in::k_sum, "sum"},
                                            {in::k_append, "append"},
                                            {in::k_appended, "appended"},
                                            {in::k_replay_q, "replay_q"},
                                            {in::k_replay, "replay"},
                                            {in::k_replay_end, "replay_end"}};
  return m;
}

const std::map<int, const char*>& rta_kinds() {
  namespace in = rta::internal;
  using rta::kind;
  static const std::map<int, const char*> m{
      {k(kind::tweet), "tweet"},  {k(kind::query), "query"}, {k(kind::configure), "configure"},
      {k(kind::stats), "stats"},  {in::k_tokens, "tokens"},  {in::k_close, "close"},
      {in::k_partial, "partial"}, {in::k_closed, "closed"}};
  return m;
}

} // namespace

std::string kind_name(const std::string& type, int kind) {
  if (kind == kind_tick)
    return "tick";
  if (kind == kind_empty)
    return "empty";
  if (kind == kind_reply)
    return "reply";
  const std::pair<const char*, const std::map<int, const char*>*> apps[] = {
      {"rkv_", &rkv_kinds()}, {"dt_", &dt_kinds()}, {"rta_", &rta_kinds()}};
  for (const auto& [prefix, names] : apps)
    if (type.rfind(prefix, 0) == 0)
      if (auto it = names->find(kind); it != names->end())
        return it->second;
  char hex[8];
  std::snprintf(hex, sizeof hex, "0x%02x", static_cast<unsigned>(kind & 0xff));
  return hex;
}

} // namespace ipipe::apps::costs
