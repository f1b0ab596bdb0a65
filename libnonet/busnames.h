/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The system bus's names, judged once: those whose daemons use the network for a caller (the
 * D-Bus policy's denials) and those kept (the filtering proxy's --talk). A name on neither list
 * is denied by the proxy, an allowlist, and left alone by the D-Bus policy, a denylist. */

#include <stddef.h>

extern const char *const bus_names_brokers[];
extern const size_t bus_names_brokers_n;
extern const char *const bus_names_kept[];
extern const size_t bus_names_kept_n;
