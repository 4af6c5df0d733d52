#include "apps.hpp"

#ifdef IPIPE_APP_RKV
#include <rkv/rkv.hpp>
#endif
#ifdef IPIPE_APP_DT
#include <dt/dt.hpp>
#endif
#ifdef IPIPE_APP_RTA
#include <rta/rta.hpp>
#endif

namespace ipipe::apps {

void register_all() {
#ifdef IPIPE_APP_RKV
  rkv::register_actors();
#endif
#ifdef IPIPE_APP_DT
  dt::register_actors();
#endif
#ifdef IPIPE_APP_RTA
  rta::register_actors();
#endif
}

} // namespace ipipe::apps
