#include "apps.hpp"

#include <rkv/rkv.hpp>

namespace ipipe::apps {

void register_all() { rkv::register_actors(); }

} // namespace ipipe::apps
