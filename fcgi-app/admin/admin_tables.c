/* admin_tables.c - see admin_tables.h.  The store hands over rows; the
 * layout is decided here. */
#include "config.h"
#include "admin/admin_tables.h"

#include <stdlib.h>
#include <time.h>

#include "base/json.h"
#include "base/util.h"
#include "store/store.h"
#include "store/store_executions.h"
#include "store/store_keys.h"

static void format_time(int64_t ms, char *out, size_t n)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;

    if (!ms) {
        snprintf(out, n, "-");
        return;
    }
    gmtime_r(&t, &tm);
    strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void limit_text(long v, char *out, size_t n)
{
    if (v < 0)
        snprintf(out, n, "default");
    else
        snprintf(out, n, "%ld", v);
}

static void print_key(const struct key_info *k, void *arg)
{
    char created[32], conc[24], rate[24], limits[64];

    format_time(k->created_at, created, sizeof(created));
    limit_text(k->max_concurrent, conc, sizeof(conc));
    limit_text(k->rate_per_minute, rate, sizeof(rate));
    snprintf(limits, sizeof(limits), "%s/%s", conc, rate);
    fprintf(arg, "%-16s %-8s %-20s %-24s %-10lld %s\n", k->id,
            k->revoked_at ? "revoked" : "active", created, limits,
            (long long)k->stored_bytes, k->name);
}

int admin_table_keys(struct store *s, FILE *out)
{
    fprintf(out, "%-16s %-8s %-20s %-24s %-10s %s\n", "ID", "STATE",
            "CREATED", "CONCURRENT/RATE", "STORED", "NAME");
    return store_key_list(s, print_key, out);
}

int admin_table_executions(struct store *s, const char *key_id, int limit,
                           FILE *out)
{
    struct execution_summary *rows;
    int n = store_execution_recent(s, key_id, limit, &rows);

    if (n < 0)
        return -1;
    fprintf(out, "%-38s %-18s %-12s %-14s %-9s %s\n", "ID", "KEY", "STATUS",
            "CREATED(ms)", "TIME(s)", "SESSION");
    for (int i = 0; i < n; i++)
        fprintf(out, "%-38s %-18s %-12s %-14lld %-9.3f %s\n", rows[i].id,
                rows[i].key_id, rows[i].status,
                (long long)rows[i].created_at, rows[i].execution_time,
                rows[i].session_id);
    free(rows);
    return 0;
}

int admin_show_execution(struct store *s, const char *id, FILE *out)
{
    char key[STORE_KEY_ID_LEN], own_id[72];
    struct jw *w;
    int rc = store_execution_owner(s, id, key, own_id);

    if (rc != 1)
        return rc;
    w = jw_new();
    rc = store_execution_write(s, own_id, key, "", true, w);
    if (rc == 1)
        fprintf(out, "%s\n", jw_text(w, NULL));
    jw_free(w);
    return rc;
}
