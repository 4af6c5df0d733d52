#include "rkv_checker.hpp"

#include <algorithm>

namespace ipipe::bench {

namespace {

void add(std::vector<std::uint64_t>& v, std::uint64_t x) {
  if (std::find(v.begin(), v.end(), x) == v.end())
    v.push_back(x);
}

} // namespace

std::uint64_t rkv_checker::begin_write(std::uint32_t key, bool del) {
  const std::uint64_t id = next_id_++;
  auto& k = keys_[key];
  write_state w{key, del ? 0 : id, !k.in_flight.empty()};
  for (auto other : k.in_flight)
    writes_[other].overlapped = true;
  k.in_flight.push_back(id);
  k.recent.emplace_back(k.issued++, w.value);
  if (k.recent.size() > recent_cap)
    k.recent.pop_front();
  writes_.emplace(id, w);
  return id;
}

void rkv_checker::end_write(std::uint64_t id, outcome o) {
  auto it = writes_.find(id);
  if (it == writes_.end())
    return;
  const write_state w = it->second;
  writes_.erase(it);
  auto& k = keys_[w.key];
  std::erase(k.in_flight, id);
  if (o == outcome::unknown) {
    add(k.unknown, w.value);
  } else if (!w.overlapped) {
    k.candidates.assign(1, w.value);
    k.known = true;
  } else {
    add(k.candidates, w.value);
    k.known = true;
  }
}

rkv_checker::read rkv_checker::begin_read(std::uint32_t key) {
  auto& k = keys_[key];
  read r;
  r.key = key;
  r.known = k.known;
  r.issued = k.issued;
  if (!r.known)
    return r;
  r.allowed = k.candidates;
  for (auto id : k.in_flight)
    add(r.allowed, writes_[id].value);
  return r;
}

rkv_checker::judgement rkv_checker::end_read(const read& r, std::uint64_t value) const {
  if (!r.known)
    return judgement::unverified;
  if (std::find(r.allowed.begin(), r.allowed.end(), value) != r.allowed.end())
    return judgement::ok;
  const auto& k = keys_.at(r.key);
  if (std::find(k.unknown.begin(), k.unknown.end(), value) != k.unknown.end())
    return judgement::ok;
  // Writes sent while the GET was in flight are concurrent with it.
  if (r.issued < k.issued && (k.recent.empty() || k.recent.front().first > r.issued))
    return judgement::unverified;
  for (const auto& [index, v] : k.recent)
    if (index >= r.issued && v == value)
      return judgement::ok;
  return judgement::wrong;
}

} // namespace ipipe::bench
