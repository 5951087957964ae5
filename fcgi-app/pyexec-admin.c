/* pyexec-admin.c - main() of the operator's tool: API keys, execution
 * records, purges and the deployment doctor.  It opens the same database
 * as the daemon (WAL makes that safe while it runs). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin/admin.h"
#include "base/conf.h"
#include "base/log.h"
#include "base/util.h"

static void usage(FILE *f)
{
    fputs("usage: pyexec-admin [--config FILE] COMMAND ...\n"
          "\n"
          "  key create [NAME]              make a key; prints it once\n"
          "  key list                       ids, names, limits, state\n"
          "  key revoke ID                  the key stops working at once\n"
          "  key limits ID CONCURRENT RATE  per-key limits (- for default)\n"
          "  key webhook-secret ID [--rotate]  the key's webhook secret\n"
          "  executions list [--limit N] [--key ID]\n"
          "  executions show ID\n"
          "  purge [--days N]               delete records older than N days\n"
          "                                 (default: retention_days)\n"
          "  backup FILE                    consistent copy of the database\n"
          "  replicate [--check]            run litestream: copy the database\n"
          "                                 to replica_dir continuously\n"
          "  restore-cell NAME FROM         restore lost cell NAME's copy\n"
          "                                 (FROM: its replica dir) and serve\n"
          "                                 its records read-only\n"
          "  doctor                         check Docker, image, database,\n"
          "                                 socket; one verdict per line\n"
          "  sweep [--keep-sessions]        remove this data dir's containers\n"
          "                                 while pyexec-fcgi is stopped\n",
          f);
}

int main(int argc, char **argv)
{
    const char *option = NULL;
    struct conf_source src;
    struct conf c;
    int i = 1, rc;

    log_set_role("pyexec-admin");
    log_set_level(LOG_WARN);
    while (i < argc && argv[i][0] == '-') {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
            option = argv[i + 1];
            i += 2;
        } else if (strncmp(argv[i], "--config=", 9) == 0) {
            option = argv[i] + 9;
            i++;
        } else if (strcmp(argv[i], "--help") == 0 || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "--version") == 0) {
            printf("pyexec-admin %s\n", PACKAGE_VERSION);
            return 0;
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (i >= argc) {
        usage(stderr);
        return 2;
    }
    conf_load_program(&c, option, &src);
    rc = admin_command(&c, argc - i, argv + i);
    if (rc == 2)
        usage(stderr);
    conf_release(&c);
    return rc;
}
