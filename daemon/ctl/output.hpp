#pragma once

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ipipe::ctl {

/// The one printer of ipipectl, in the iproute2 json_print manner: each
/// field is emitted once, with its JSON key and its text format, so that
/// text and JSON cannot drift apart.
///
/// In JSON mode the fields build one document, written by str(); in text
/// mode the text formats are appended in order.
class output {
public:
  /// `json` selects the mode; `pretty` indents JSON documents.
  explicit output(bool json, bool pretty = false);

  /// Returns true in JSON mode.
  [[nodiscard]] bool json() const noexcept { return json_; }

  // -- structure (JSON only; text mode ignores it) ---------------------------

  /// Opens an object: as member `key`, or as the next element of an array.
  void open_object(std::string_view key = {});
  void close_object();
  /// Opens an array as member `key`.
  void open_array(std::string_view key);
  void close_array();

  // -- fields ------------------------------------------------------------------

  /// Emits `value` as JSON member `key` and as fmt format `text_fmt`. An
  /// empty optional is null in JSON and "-" in text.
  template <class T>
  void field(std::string_view key, std::string_view text_fmt, const T& value) {
    if (json_)
      member(key) = to_json(value);
    else
      text_ += fmt::format(fmt::runtime(text_fmt), text_of(value));
  }

  /// Emits `json_value` as JSON member `key`, and `text_value` (already
  /// formatted for people, like "1.5us") through `text_fmt`.
  template <class T>
  void field(std::string_view key, std::string_view text_fmt, const T& json_value,
             std::string_view text_value) {
    if (json_)
      member(key) = to_json(json_value);
    else
      text_ += fmt::format(fmt::runtime(text_fmt), text_value);
  }

  /// Emits `value` as JSON member `key` only.
  template <class T>
  void json_field(std::string_view key, const T& value) {
    if (json_)
      member(key) = to_json(value);
  }

  /// Appends `s` in text mode only.
  void text(std::string_view s);

  // -- result ------------------------------------------------------------------

  /// Returns what was emitted: the JSON document and a newline, or the text.
  [[nodiscard]] std::string str() const;

private:
  template <class T>
  static nlohmann::ordered_json to_json(const T& v) {
    if constexpr (requires { v.has_value(); }) {
      if (!v.has_value())
        return nullptr;
      return nlohmann::ordered_json(*v);
    } else {
      return nlohmann::ordered_json(v);
    }
  }
  template <class T>
  static auto text_of(const T& v) {
    if constexpr (requires { v.has_value(); }) {
      return v ? fmt::format("{}", *v) : std::string{"-"};
    } else {
      return v;
    }
  }
  nlohmann::ordered_json& member(std::string_view key);
  void open(std::string_view key, nlohmann::ordered_json empty);

  bool json_;
  bool pretty_;
  nlohmann::ordered_json root_ = nlohmann::ordered_json::object();
  std::vector<nlohmann::ordered_json*> stack_;
  std::string text_;
};

} // namespace ipipe::ctl
