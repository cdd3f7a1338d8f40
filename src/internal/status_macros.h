// Internal: the status macros are public (helpdesk/status_macros.h); this
// name stays for the library's own sources.
#ifndef HELPDESK_SRC_INTERNAL_STATUS_MACROS_H_
#define HELPDESK_SRC_INTERNAL_STATUS_MACROS_H_

#include "helpdesk/status_macros.h"

#endif  // HELPDESK_SRC_INTERNAL_STATUS_MACROS_H_
