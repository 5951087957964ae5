/* interpreter.h - which of the runner's warm interpreters a program
 * needs.  The runner forks a program either from its zygote, a light
 * interpreter with the standard library only, or from itself, with
 * numpy, pandas and matplotlib preloaded (runner/PROTOCOL.md); a fork of
 * the light one costs a fraction of the heavy one's.  Pure: no I/O. */
#ifndef PYEXEC_INTERPRETER_H
#define PYEXEC_INTERPRETER_H

#include <stdbool.h>
#include <stddef.h>

/* True when src[0..len) names none of the heavy packages (numpy, pandas,
 * matplotlib, pylab, mpl_toolkits, scipy, sklearn, seaborn, statsmodels):
 * no identifier is one (after Python's NFKC folding), and no string
 * literal is one or starts with one and a dot, so `import numpy as np`,
 * `from pandas import DataFrame` and `importlib.import_module("numpy")`
 * all go heavy.  A name built at run time goes light and still works: it
 * loads on demand.  Code the tokenizer cannot read goes heavy (it will
 * not compile anyway, and the choice must never be a way in). */
bool interpreter_is_light(const char *src, size_t len);

#endif
