#include <ipipe/nic/options.hpp>

#include <arpa/inet.h>

#include <charconv>

namespace ipipe::nic {

expected<std::uint64_t> parse_size(std::string_view s) {
  std::uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p == s.data())
    return error{errc::invalid_argument, "bad size '" + std::string(s) + "'"};
  std::string_view unit{p, static_cast<std::size_t>(s.data() + s.size() - p)};
  if (unit.ends_with("iB"))
    unit.remove_suffix(2);
  else if (unit.size() > 1 && unit.ends_with("B"))
    unit.remove_suffix(1);
  unsigned shift = 0;
  if (unit == "K" || unit == "k")
    shift = 10;
  else if (unit == "M" || unit == "m")
    shift = 20;
  else if (unit == "G" || unit == "g")
    shift = 30;
  else if (unit == "T" || unit == "t")
    shift = 40;
  else if (!unit.empty() && unit != "B")
    return error{errc::invalid_argument, "bad size unit in '" + std::string(s) + "'"};
  if (v == 0 || (shift != 0 && v > (UINT64_MAX >> shift)))
    return error{errc::invalid_argument, "size out of range '" + std::string(s) + "'"};
  return v << shift;
}

expected<host_mem_spec> parse_host_mem(std::string_view s) {
  host_mem_spec h;
  if (s.starts_with("file:") && s.size() > 5) {
    h.type = host_mem_spec::kind::file;
    h.path = std::string(s.substr(5));
    return h;
  }
  if (s.starts_with("memfd:")) {
    auto size = parse_size(s.substr(6));
    if (!size)
      return size.err();
    h.type = host_mem_spec::kind::memfd;
    h.size = *size;
    return h;
  }
  return error{errc::invalid_argument, "--host-mem must be file:PATH or memfd:SIZE"};
}

expected<endpoint> parse_endpoint(std::string_view s) {
  const auto colon = s.rfind(':');
  if (colon == std::string_view::npos)
    return error{errc::invalid_argument, "expected ADDR:PORT, got '" + std::string(s) + "'"};
  std::string host(s.substr(0, colon));
  in_addr a{};
  if (::inet_pton(AF_INET, host.c_str(), &a) != 1)
    return error{errc::invalid_argument, "bad IPv4 address '" + host + "'"};
  std::string_view port_s = s.substr(colon + 1);
  unsigned port = 0;
  auto [p, ec] = std::from_chars(port_s.data(), port_s.data() + port_s.size(), port);
  if (ec != std::errc{} || p != port_s.data() + port_s.size() || port > 65535)
    return error{errc::invalid_argument, "bad port '" + std::string(port_s) + "'"};
  return endpoint{ntohl(a.s_addr), static_cast<std::uint16_t>(port)};
}

} // namespace ipipe::nic
