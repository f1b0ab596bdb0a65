/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Without libFuzzer: run a target over every file of the given directories (TAP). */

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "fuzz.h"

int main(int argc, char **argv) {
        int n = 0;
        for (int i = 1; i < argc; i++) {
                struct dirent **list;
                int count = scandir(argv[i], &list, NULL, alphasort);
                for (int j = 0; j < count; j++) {
                        char path[4096];
                        snprintf(path, sizeof(path), "%s/%s", argv[i], list[j]->d_name);
                        struct stat st;
                        FILE *f = list[j]->d_name[0] == '.' ? NULL : fopen(path, "re");
                        if (f && fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode)) {
                                unsigned char *buf = malloc((size_t) st.st_size + 1);
                                size_t len = fread(buf, 1, (size_t) st.st_size, f);
                                LLVMFuzzerTestOneInput(buf, len);
                                free(buf);
                                printf("ok %d - %s\n", ++n, list[j]->d_name);
                        }
                        if (f)
                                fclose(f);
                        free(list[j]);
                }
                free(list);
        }
        printf("1..%d\n", n);
        return n > 0 ? 0 : 1;
}
