/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pam-session SERVICE USER CONFDIR [COMMAND...]: drive the built module
 * through libpam as a login program would: account, open_session, then
 * run COMMAND in the process the session restricted.
 * Prints "account: ..." and "session: ..."; exits 2 if account fails,
 * 3 if the session fails, else COMMAND's status (or 0).
 */

#include <security/pam_appl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int converse(int n, const struct pam_message **msg, struct pam_response **resp, void *data) {
        struct pam_response *r = calloc((size_t) n, sizeof(*r));
        if (!r)
                return PAM_BUF_ERR;
        for (int i = 0; i < n; i++)
                printf("message: %s\n", msg[i]->msg);
        *resp = r;
        return PAM_SUCCESS;
}

int main(int argc, char **argv) {
        struct pam_conv conv = { converse, NULL };
        pam_handle_t *pamh = NULL;
        int r;

        if (argc < 4) {
                fprintf(stderr, "usage: pam-session SERVICE USER CONFDIR [COMMAND...]\n");
                return 1;
        }
        r = pam_start_confdir(argv[1], argv[2], &conv, argv[3], &pamh);
        if (r != PAM_SUCCESS) {
                fprintf(stderr, "pam_start_confdir: %s\n", pam_strerror(pamh, r));
                return 1;
        }
        r = pam_acct_mgmt(pamh, 0);
        printf("account: %s\n", pam_strerror(pamh, r));
        if (r != PAM_SUCCESS) {
                pam_end(pamh, r);
                return 2;
        }
        r = pam_open_session(pamh, 0);
        printf("session: %s\n", pam_strerror(pamh, r));
        fflush(stdout);
        if (r != PAM_SUCCESS) {
                pam_end(pamh, r);
                return 3;
        }
        if (argc > 4) {
                execvp(argv[4], argv + 4);
                perror(argv[4]);
                return 127;
        }
        r = pam_close_session(pamh, 0);
        pam_end(pamh, r);
        return 0;
}
