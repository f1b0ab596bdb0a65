/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* exec-only COMMAND...: a wrapper that does nothing but exec: the floor of any wrapper's startup. */

#include <unistd.h>

int main(int argc, char **argv) {
        if (argc < 2)
                return 2;
        execv(argv[1], argv + 1);
        return 127;
}
