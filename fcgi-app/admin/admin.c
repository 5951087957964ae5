/* admin.c - see admin.h.  Output is plain text for people; exit status is
 * for scripts. */
#include "config.h"
#include "admin/admin.h"

#include <stdio.h>
#include <string.h>

#include "admin/admin_tables.h"
#include "admin/doctor.h"
#include "admin/replica.h"
#include "admin/sweep.h"
#include "base/conf.h"
#include "base/util.h"
#include "store/store.h"
#include "store/store_executions.h"
#include "store/store_keys.h"
#include "store/store_webhooks.h"

static struct store *open_db(const struct conf *c)
{
    char err[ERR_LEN];
    struct store *s;

    if (mkdir_p(c->data_dir, 0750) < 0) {
        fprintf(stderr, "pyexec-admin: cannot create %s\n", c->data_dir);
        return NULL;
    }
    s = store_open(c->database, c->busy_timeout_ms, true, err);
    if (!s)
        fprintf(stderr, "pyexec-admin: database: %s\n", err);
    return s;
}

static int parse_limit(const char *s, long *out)
{
    if (strcmp(s, "-") == 0) {
        *out = -1;
        return 0;
    }
    return parse_long(s, 0, 10000000, out);
}

/* key webhook-secret ID [--rotate]: ID as /executions records show it
 * (cfg_... for a key from the configuration). */
static int cmd_webhook_secret(struct store *s, int argc, char **argv)
{
    char secret[WEBHOOK_SECRET_LEN];
    bool rotate = argc == 2 && strcmp(argv[1], "--rotate") == 0;

    if (argc < 1 || argc > 2 || (argc == 2 && !rotate))
        return 2;
    if (store_webhook_secret(s, argv[0], rotate, secret) < 0) {
        fprintf(stderr, "pyexec-admin: %s\n", store_last_message(s));
        return 1;
    }
    printf("whsec_%s\n", secret);
    return 0;
}

static int cmd_key(struct store *s, int argc, char **argv)
{
    if (argc >= 1 && strcmp(argv[0], "create") == 0 && argc <= 2) {
        char *id = NULL;
        char *key = store_key_create(s, argc == 2 ? argv[1] : "", &id);

        if (!key) {
            fprintf(stderr, "pyexec-admin: %s\n", store_last_message(s));
            return 1;
        }
        printf("%s\n", key);
        fprintf(stderr, "created key %s: it is shown only this once\n", id);
        free(key);
        free(id);
        return 0;
    }
    if (argc == 1 && strcmp(argv[0], "list") == 0)
        return admin_table_keys(s, stdout) < 0 ? 1 : 0;
    if (argc == 2 && strcmp(argv[0], "revoke") == 0) {
        int rc = store_key_revoke(s, argv[1]);

        if (rc <= 0) {
            fprintf(stderr, "pyexec-admin: %s\n", rc < 0
                    ? store_last_message(s) : "no active key with that id");
            return 1;
        }
        printf("revoked %s\n", argv[1]);
        return 0;
    }
    if (argc >= 1 && strcmp(argv[0], "webhook-secret") == 0)
        return cmd_webhook_secret(s, argc - 1, argv + 1);
    if (argc == 4 && strcmp(argv[0], "limits") == 0) {
        long conc, rate;
        int rc;

        if (parse_limit(argv[2], &conc) < 0 || parse_limit(argv[3], &rate) < 0)
            return 2;
        rc = store_key_set_limits(s, argv[1], conc, rate);
        if (rc <= 0) {
            fprintf(stderr, "pyexec-admin: %s\n", rc < 0
                    ? store_last_message(s) : "no key with that id");
            return 1;
        }
        printf("limits of %s: concurrent %s, per minute %s\n", argv[1],
               argv[2], argv[3]);
        return 0;
    }
    return 2;
}

/* executions list [--limit N] [--key ID] | show ID */
static int cmd_executions(struct store *s, int argc, char **argv)
{
    if (argc >= 1 && strcmp(argv[0], "list") == 0) {
        long limit = 20;
        const char *key = NULL;

        for (int i = 1; i < argc; i++) {
            if (strcmp(argv[i], "--limit") == 0 && i + 1 < argc) {
                if (parse_long(argv[++i], 1, 100000, &limit) < 0)
                    return 2;
            } else if (strcmp(argv[i], "--key") == 0 && i + 1 < argc) {
                key = argv[++i];
            } else {
                return 2;
            }
        }
        if (admin_table_executions(s, key, (int)limit, stdout) < 0)
            return 1;
        return 0;
    }
    if (argc == 2 && strcmp(argv[0], "show") == 0) {
        int rc = admin_show_execution(s, argv[1], stdout);

        if (rc == 0)
            fprintf(stderr, "pyexec-admin: no execution %s\n", argv[1]);
        return rc == 1 ? 0 : 1;
    }
    return 2;
}

/* purge [--days N]: records older than N days (default retention_days). */
static int cmd_purge(const struct conf *c, struct store *s, int argc,
                     char **argv)
{
    long days = c->retention_days, n;

    if (argc == 2 && strcmp(argv[0], "--days") == 0) {
        if (parse_long(argv[1], 0, 36500, &days) < 0)
            return 2;
    } else if (argc != 0) {
        return 2;
    }
    n = store_execution_purge(s, wall_ms() - days * 86400000LL);
    if (n < 0) {
        fprintf(stderr, "pyexec-admin: %s\n", store_last_message(s));
        return 1;
    }
    printf("purged %ld execution record(s) older than %ld day(s)\n", n, days);
    return 0;
}

static int cmd_backup(struct store *s, int argc, char **argv)
{
    char err[ERR_LEN];

    if (argc != 1)
        return 2;
    if (store_backup(s, argv[0], err) < 0) {
        fprintf(stderr, "pyexec-admin: %s\n", err);
        return 1;
    }
    printf("backed up to %s\n", argv[0]);
    return 0;
}

int admin_command(const struct conf *c, int argc, char **argv)
{
    struct store *s;
    int rc = 2;

    if (argc < 1)
        return 2;
    /* doctor looks without touching: no open_db (it creates and migrates). */
    if (strcmp(argv[0], "doctor") == 0)
        return argc != 1 ? 2 : doctor_run(c, stdout) > 0 ? 1 : 0;
    /* Litestream opens the database itself. */
    if (strcmp(argv[0], "replicate") == 0 && argc <= 2)
        return argc == 1 ? admin_replicate(c, false, stdout)
             : strcmp(argv[1], "--check") == 0
             ? admin_replicate(c, true, stdout) : 2;
    if (strcmp(argv[0], "restore-cell") == 0)
        return argc != 3 ? 2 : admin_restore_cell(c, argv[1], argv[2],
                                                  stdout);
    s = open_db(c);
    if (!s)
        return 1;
    if (strcmp(argv[0], "key") == 0)
        rc = cmd_key(s, argc - 1, argv + 1);
    else if (strcmp(argv[0], "executions") == 0)
        rc = cmd_executions(s, argc - 1, argv + 1);
    else if (strcmp(argv[0], "purge") == 0)
        rc = cmd_purge(c, s, argc - 1, argv + 1);
    else if (strcmp(argv[0], "backup") == 0)
        rc = cmd_backup(s, argc - 1, argv + 1);
    else if (strcmp(argv[0], "sweep") == 0 && argc <= 2)
        rc = argc == 1 ? admin_sweep(c, s, false, stdout)
           : strcmp(argv[1], "--keep-sessions") == 0
           ? admin_sweep(c, s, true, stdout) : 2;
    store_close(s);
    return rc;
}
