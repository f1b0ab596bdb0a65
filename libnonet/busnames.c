/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The system bus's names, each judged here once (nonet.conf(5) gives the reasons). */

#include "busnames.h"
#include "util.h"

/* Each resolves, fetches or sends for any caller its polkit rules let through (an active local session). */
const char *const bus_names_brokers[] = {
        "org.freedesktop.resolve1",      /* any name resolved: a DNS query out */
        "org.freedesktop.Avahi",         /* mDNS queries and records on the link; wide-area: unicast DNS */
        "org.freedesktop.NetworkManager", /* connections and VPNs to a host the caller names */
        "org.freedesktop.ModemManager1", /* SMS and USSD sent */
        "org.freedesktop.PackageKit",    /* repositories refreshed, packages downloaded */
        "org.freedesktop.fwupd",         /* firmware metadata and firmware downloaded */
        "org.freedesktop.realmd",        /* any domain the caller names discovered (DNS, LDAP) */
};
const size_t bus_names_brokers_n = ELEMENTSOF(bus_names_brokers);

/* Left open by decision: a session needs them, or they reach only the administrator's servers. */
const char *const bus_names_kept[] = {
        "org.freedesktop.login1",
        "org.freedesktop.PolicyKit1",
        "org.freedesktop.systemd1",
        "org.freedesktop.hostname1",
        "org.freedesktop.locale1",
        "org.freedesktop.timedate1",
        "org.freedesktop.timesync1", /* NTP to the administrator's servers */
        "org.freedesktop.network1",  /* its changes need polkit's administrator */
        "org.freedesktop.UDisks2",
        "org.freedesktop.Accounts",
        "org.freedesktop.GeoClue2", /* a location service the administrator configures */
        "org.bluez",                /* its own policy admits root and the bluetooth group only */
};
const size_t bus_names_kept_n = ELEMENTSOF(bus_names_kept);
