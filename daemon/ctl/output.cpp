#include "output.hpp"

namespace ipipe::ctl {

output::output(bool json, bool pretty) : json_(json), pretty_(pretty) {
  stack_.push_back(&root_);
}

nlohmann::ordered_json& output::member(std::string_view key) {
  nlohmann::ordered_json& top = *stack_.back();
  if (top.is_array()) {
    top.push_back(nullptr);
    return top.back();
  }
  return top[std::string{key}];
}

void output::open(std::string_view key, nlohmann::ordered_json empty) {
  if (!json_)
    return;
  nlohmann::ordered_json& m = member(key);
  m = std::move(empty);
  stack_.push_back(&m);
}

void output::open_object(std::string_view key) {
  open(key, nlohmann::ordered_json::object());
}

void output::close_object() {
  if (json_ && stack_.size() > 1)
    stack_.pop_back();
}

void output::open_array(std::string_view key) {
  open(key, nlohmann::ordered_json::array());
}

void output::close_array() {
  close_object();
}

void output::text(std::string_view s) {
  if (!json_)
    text_ += s;
}

std::string output::str() const {
  if (!json_)
    return text_;
  return root_.dump(pretty_ ? 2 : -1) + "\n";
}

} // namespace ipipe::ctl
