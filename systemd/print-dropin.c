/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Build helper: the ready drop-in network-off.conf, from the same code as the generator's. */

#include <stdio.h>
#include <stdlib.h>

#include "units.h"

int main(void) {
        struct nonet_policy p;
        char *text;

        policy_init(&p);
        if (unit_dropin_format(&p, false,
                               "Ready drop-in: copy or link it into /etc/systemd/system/<unit>.d/ "
                               "(as X-NetworkOff=yes does)",
                               &text) < 0)
                return 1;
        fputs(text, stdout);
        free(text);
        return 0;
}
