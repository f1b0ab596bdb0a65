/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Brokers closed under nonet-exec: the system bus filtered by xdg-dbus-proxy, which keeps the names
 * of busnames.h's bus_names_kept and no other, its socket bound over the bus's in the brokers' mount
 * namespace (mask_system_bus()). */

#include "policy.h"

#define SYSTEM_BUS_SOCKET "/run/dbus/system_bus_socket"

/* Starts the proxy, detached from the caller (a session of its own, reparented), and records its
 * socket in p. *ret_fd: the descriptor whose last copy closing stops the proxy, to be inherited by
 * the command. 0 with *ret_fd -1 where there is no system bus (nothing to filter); -ENOENT where
 * xdg-dbus-proxy is not installed, -EPIPE where it stopped before it was ready. */
int busproxy_start(struct nonet_policy *p, int *ret_fd);
/* The proxy stopped (fd closed) and its socket removed, where the command does not run. */
void busproxy_stop(struct nonet_policy *p, int fd);
