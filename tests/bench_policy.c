/* bench_policy.c - how long policy_check takes on a large, realistic
 * program: about 256 KiB of generated teaching-style Python (classes,
 * docstrings, comprehensions, f-strings with specs, numpy calls), or a
 * file given on the command line.  Prints the median of N runs.  Built by
 * make check, not run by it.
 *
 *   bench_policy [-n RUNS] [-v] [FILE] */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/buf.h"
#include "base/util.h"
#include "policy/policy.h"
#include "policy/pytok.h"

#define TARGET_BYTES (256 * 1024)

static const char header[] =
    "\"\"\"Generated benchmark program: shapes, statistics and plots.\"\"\"\n"
    "import math\n"
    "import os\n"
    "import numpy as np\n"
    "import matplotlib.pyplot as plt\n"
    "from collections import defaultdict, Counter\n"
    "from os.path import join as join_path\n\n";

/* One unit; %1$d is its number. */
static const char unit[] =
    "class Shape%1$d:\n"
    "    \"\"\"A shape (number %1$d) with an area and a perimeter.\"\"\"\n"
    "\n"
    "    def __init__(self, width, height=2.5):\n"
    "        self.width = width\n"
    "        self.height = height\n"
    "        self.tags = ['a', \"b\", '''c''', r'\\d+']\n"
    "\n"
    "    def area(self):\n"
    "        return self.width * self.height  # a rectangle, really\n"
    "\n"
    "    def describe(self):\n"
    "        return (f\"Shape%1$d: {self.width:.2f} x {self.height:>{8}}\"\n"
    "                f\" = {self.area()!r} ({len(self.tags)} tags)\")\n"
    "\n"
    "\n"
    "def compute_%1$d(values, scale=1.0, *, verbose=False):\n"
    "    total = 0\n"
    "    for i, v in enumerate(values):\n"
    "        if v %% 2 == 0:\n"
    "            total += math.sqrt(v) * scale\n"
    "        elif v > 10:\n"
    "            total -= v ** 2 / 3\n"
    "        else:\n"
    "            total += len(str(v))\n"
    "    squares = [x * x for x in values if x > 0]\n"
    "    mapping = {k: v for k, v in zip('abc', squares)}\n"
    "    data = np.array(values, dtype=float).reshape(-1, 1)\n"
    "    counts = Counter(\"the quick brown fox jumps\".split())\n"
    "    path = join_path(os.getcwd(), 'out_%1$d.txt')\n"
    "    if verbose:\n"
    "        print(f\"compute_%1$d: total={total:.3f}, n={len(values)}, \"\n"
    "              f\"{mapping!r} -> {path}\")\n"
    "    return total, data.mean(), dict(counts)\n"
    "\n"
    "\n"
    "result_%1$d = compute_%1$d(list(range(%1$d %% 17 + 5)))\n"
    "shape_%1$d = Shape%1$d(%1$d * 0.5)\n"
    "plt.plot([1, 2, 3], [result_%1$d[0], 0, shape_%1$d.area()])\n\n";

static void generate(struct buf *b)
{
    buf_append_str(b, header);
    for (int i = 0; b->len < TARGET_BYTES; i++)
        buf_appendf(b, unit, i);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static size_t count_tokens(const char *src, size_t len)
{
    struct pytok *t = pytok_new(src, len);
    struct pytok_token tok;
    size_t n = 0;

    while (pytok_next(t, &tok) == 0 && tok.type != PYTOK_ENDMARKER)
        n++;
    pytok_free(t);
    return n;
}

static double cpu_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

struct timing {
    double median, min, cpu_median;
};

/* Times runs calls (after 3 warm-ups); the tokenizer alone when !p.  Wall
 * clock and CPU time: on a busy machine the second is the steadier. */
static struct timing measure(const struct policy *p, const char *src,
                             size_t len, int runs, size_t *nviolations)
{
    double *wall = xcalloc((size_t)runs, sizeof(double));
    double *cpu = xcalloc((size_t)runs, sizeof(double));
    struct timing t;

    for (int i = -3; i < runs; i++) {
        double t0 = now_ms(), c0 = cpu_ms();

        if (p) {
            struct policy_result r;

            policy_check(p, src, len, &r);
            *nviolations = r.n;
            policy_result_release(&r);
        } else {
            count_tokens(src, len);
        }
        if (i >= 0) {
            wall[i] = now_ms() - t0;
            cpu[i] = cpu_ms() - c0;
        }
    }
    qsort(wall, (size_t)runs, sizeof(double), cmp_double);
    qsort(cpu, (size_t)runs, sizeof(double), cmp_double);
    t.median = wall[runs / 2];
    t.min = wall[0];
    t.cpu_median = cpu[runs / 2];
    free(wall);
    free(cpu);
    return t;
}

static void report(const char *what, struct timing t)
{
    printf("%-44s median %6.3f ms, min %6.3f ms, CPU median %6.3f ms\n",
           what, t.median, t.min, t.cpu_median);
}

static int read_file(const char *path, struct buf *b)
{
    FILE *f = fopen(path, "rb");
    char chunk[65536];
    size_t n;

    if (!f)
        return -1;
    for (;;) {
        n = fread(chunk, 1, sizeof(chunk), f);
        if (n == 0)
            break;
        buf_append(b, chunk, n);
    }
    fclose(f);
    return 0;
}

int main(int argc, char **argv)
{
    struct buf src = BUF_INIT(0), late = BUF_INIT(0);
    struct policy *p = policy_default();
    const char *file = NULL;
    int runs = 50, i;
    bool is_verbose = false;
    size_t nv = 0;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-n") == 0 && i + 1 < argc)
            runs = atoi(argv[++i]);
        else if (strcmp(argv[i], "-v") == 0)
            is_verbose = true;
        else if (argv[i][0] != '-')
            file = argv[i];
        else
            die("usage: bench_policy [-n RUNS] [-v] [FILE]");
    }
    if (runs < 1)
        runs = 1;
    if (file) {
        if (read_file(file, &src) < 0)
            die("%s: cannot read", file);
    } else {
        generate(&src);
    }
    if (is_verbose)
        fwrite(src.data, 1, src.len, stdout);

    printf("program: %s, %zu bytes, %zu tokens, %d runs each\n",
           file ? file : "generated", src.len,
           count_tokens(buf_cstr(&src), src.len), runs);
    report("pytok alone:", measure(NULL, buf_cstr(&src), src.len, runs,
                                   &nv));
    report("policy_check:", measure(p, buf_cstr(&src), src.len, runs, &nv));
    printf("  (%zu violations)\n", nv);

    /* The worst common case: an alias bound after its use makes a second
     * pass over everything. */
    buf_append_str(&late, "def early():\n    return late.path\n");
    buf_append(&late, src.data, src.len);
    buf_append_str(&late, "late = os\n");
    report("policy_check, alias bound after use (2 passes):",
           measure(p, buf_cstr(&late), late.len, runs, &nv));

    buf_release(&src);
    buf_release(&late);
    policy_free(p);
    return 0;
}
