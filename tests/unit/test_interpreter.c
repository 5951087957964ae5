/* test_interpreter.c - which warm interpreter a program gets: light
 * unless it names a heavy package in code or in a string literal. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "base/util.h"
#include "exec/interpreter.h"

static void test_the_split(void **state)
{
    static const struct {
        const char *code;
        bool light;
    } cases[] = {
        { "print('hello')", true },
        { "", true },
        { "import os, sys, json\nprint(json.dumps(sys.argv))", true },
        { "import numpy", false },
        { "import numpy as np", false },
        { "import os, pandas", false },
        { "from matplotlib import pyplot", false },
        { "import matplotlib.pyplot as plt", false },
        { "from scipy.stats import norm", false },
        { "import sklearn", false },
        { "def f():\n    import pylab\n", false },
        { "try:\n    import seaborn\nexcept ImportError:\n    pass", false },
        /* Names as Python folds them (NFKC). */
        { "import \xef\xbd\x8eumpy", false },
        /* Literal names of dynamic imports, dotted or not. */
        { "__import__('numpy')", false },
        { "import importlib\nimportlib.import_module(\"pandas.io\")", false },
        { "x = 'numpyish'", true },
        { "x = 'my numpy'", true },
        /* Names that merely contain one, and attributes of others. */
        { "numpy_like = 1\nmypandas = 2", true },
        { "import npx\nnpx.numpy_version", true },
        /* Comments and f-string text are not code. */
        { "# import numpy\nprint(1)", true },
        { "print(f'numpy {1}')", true },
        /* Built at run time: light, and the import loads on demand. */
        { "__import__('nu' + 'mpy')", true },
        /* The tokenizer cannot read it: heavy, never a way round. */
        { "print(1)\n'''", false },
        { "x = (\n", false },
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        const char *c = cases[i].code;

        if (interpreter_is_light(c, strlen(c)) != cases[i].light)
            fail_msg("case %zu: %s: expected %s", i, c,
                     cases[i].light ? "light" : "heavy");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_split),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
