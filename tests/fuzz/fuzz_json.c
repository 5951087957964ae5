/* fuzz_json.c - the request parser: arbitrary bytes through json_parse,
 * the /execute field checks (execution_request_parse), the writer's
 * copy-through, and the query-string decoder of /runcode.  Nothing may
 * crash, leak or read out of bounds; a parsed document must write back
 * as valid JSON. */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "base/conf.h"
#include "base/json.h"
#include "base/util.h"
#include "exec/execution_request.h"
#include "http/request.h"

static struct conf cfg;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char err[ERR_LEN];
    char *env[] = { NULL };

    (void)argc;
    (void)argv;
    if (conf_load_string(&cfg, "", "fuzz", env, err) < 0)
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[ERR_LEN];
    struct json *j = json_parse((const char *)data, size, err);

    if (j) {
        struct jw *w = jw_new();
        size_t n;
        const char *text;
        struct json *again;

        jw_value(w, j);
        text = jw_text(w, &n);
        again = json_parse(text, n, err);
        if (!again)
            abort();            /* our own output must parse */
        json_free(again);
        jw_free(w);
        if (j->type == JSON_OBJECT) {
            struct execution_request er;

            execution_request_parse(j, &cfg, &er, err);
            execution_request_release(&er);
        }
        json_free(j);
    }
    /* The same bytes as a query string. */
    {
        char *q = malloc(size + 1);

        memcpy(q, data, size);
        q[size] = '\0';
        free(query_value(q, "code"));
        free(query_value(q, "variables"));
        free(q);
    }
    return 0;
}
