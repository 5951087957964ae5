/* policy.h - the "AST-style" policy: which imports, calls and attributes
 * user code may not use, checked on pytok's tokens before anything runs.
 *
 * A lint, defence in depth, not a sandbox: the container is the boundary.
 * Python can always build names at run time (a value passed through a
 * function, open().read(), a dict built in a loop), and the policy does
 * not chase that; it stops the direct and the aliased uses of dangerous
 * names, the string-taking functions it can see given anything but a
 * literal (exec, eval, getattr, attrgetter, globals()[...]), and looks
 * inside strings only where they are such literals.
 *
 * Rules (policy.conf; the compiled-in defaults are the same lists):
 *
 *   module NAME       importing NAME or anything under it is blocked, by
 *                     import statement, __import__("NAME"), a reference
 *                     (NAME.x after "import NAME as n") or an alias
 *                     (rule "import").  Default: subprocess,
 *                     _posixsubprocess, socket, _socket, ctypes, _ctypes,
 *                     cffi, _cffi_backend, multiprocessing,
 *                     _multiprocessing, pty, posix, asyncio.subprocess, and
 *                     the import machinery that resolves names at run time:
 *                     _imp, _frozen_importlib, _frozen_importlib_external,
 *                     importlib._bootstrap, importlib._bootstrap_external.
 *   call PATTERN      any reference to a name that resolves to PATTERN is
 *                     blocked, called or not: "f = os.system" already is
 *                     (rule "call").  A trailing '*' in the last component
 *                     matches any rest ("os.exec*").  Default: os.system,
 *                     os.popen, os.exec*, os.spawn*, os.posix_spawn*,
 *                     os.fork, os.forkpty, os.kill, os.killpg, pty.spawn,
 *                     asyncio.create_subprocess_*, imaplib.IMAP4_stream,
 *                     pydoc.pipepager, pydoc.tempfilepager, and the
 *                     unpicklers pickle.load, pickle.loads,
 *                     pickle.Unpickler (and _pickle's), marshal.load,
 *                     marshal.loads.  eval, exec and
 *                     compile are code functions (below).
 *   attribute NAME    the name is blocked wherever it appears as a name:
 *                     after a dot, bare, as a keyword, as the literal name
 *                     of getattr/setattr/delattr/hasattr (rule
 *                     "attribute").  Default: __subclasses__, __globals__,
 *                     __builtins__, __code__, __loader__, __spec__,
 *                     f_globals, f_locals, f_builtins, f_back, gi_frame,
 *                     cr_frame, ag_frame, tb_frame (the classic escapes
 *                     from an object to frames and builtins), and the
 *                     event loop's subprocess_exec, subprocess_shell.
 *                     __class__, __bases__, __mro__, __dict__ and
 *                     __closure__ stay allowed: OOP lessons use them.
 *   import-function NAME
 *                     a function whose first argument is a module name:
 *                     a call with a literal name is checked like an import
 *                     (and its result is that module, so
 *                     __import__("os").system is os.system); any other use
 *                     (a computed name, passing the function around) is
 *                     blocked with rule "call".  Default: __import__,
 *                     importlib.import_module, importlib.__import__,
 *                     importlib.util.find_spec, pkgutil.resolve_name,
 *                     pydoc.locate.
 *   code-function NAME
 *                     like an import function, but the literal (at most
 *                     LIT_MAX, 256 bytes) is code: it is checked as a
 *                     program and what it breaks is
 *                     reported at the call; a call's value may be any
 *                     module (eval("os").system).  Default: exec, eval,
 *                     compile.
 *   attribute-function NAME
 *                     like an import function, but the literals are
 *                     attribute names (dotted for attrgetter): blocked
 *                     when one is a blocked attribute or the last
 *                     component of a call rule ("system"), leading
 *                     underscores aside.  Default: operator.attrgetter,
 *                     operator.methodcaller (whose later arguments are
 *                     free).
 *
 * Built in besides the getattr family: vars(module) on a module with
 * blocked members (rule "call", "M.*"), and globals()[...], vars()[...],
 * locals()[...] with anything but a literal of a name the policy does
 * not know (rule "call", "globals()[]").
 *
 * How names resolve:
 *   - Identifiers are NFKC-folded as Python does ("ｏｓ" is "os").
 *   - Aliases come from "import a.b as c", "from a import b as c",
 *     assignments (also chained, tuple, annotated, walrus, for targets,
 *     "with ... as", keyword defaults), flow-insensitively: a name that is
 *     ever bound to something interesting keeps it everywhere, including
 *     as an attribute of the same name (self.m = os; self.m.system).
 *     Reverse-order chains are followed through POLICY_MAX_ROUNDS passes.
 *   - "from M import *" lets bare names resolve inside M.
 *   - builtins.X and __builtins__.X are X; getattr(x, "lit" "eral") is
 *     x.literal (also with escapes: "\x73ystem").
 *   - Call patterns also match inside longer chains, and a component may
 *     carry leading underscores: pathlib.os.system and random._os.system
 *     are os.system.  Module patterns match only from the start of a
 *     chain (self.socket is fine).  Single-name patterns match only bare
 *     or as builtins.X, except dunder ones (print.__self__.__import__).
 *   - getattr(M, non-literal) on a module that has blocked members is
 *     blocked (rule "call", name "M.*").
 *   - Relative imports ("from . import x", "from ..a import b") name no
 *     stdlib module, but user code may set __package__, so their tail is
 *     matched against the end of every rule: "from . import system"
 *     matches os.system and is blocked; "from .utils import run" is not.
 *   - A PEP 263 coding declaration other than UTF-8, ASCII or a Latin
 *     single-byte set is blocked (rule "encoding"): bytes compiled under
 *     another codec (utf-7, shift_jis) could hide code in comments.
 *
 * Not followed: values passed to functions or returned from them, items
 * of containers, names built at run time (see above).
 *
 * Reported names: the canonical dotted name of the reference ("os.system"
 * for "o.system" after "import os as o", "os.execv" for rule os.exec*);
 * for import statements and literal import functions the module imported
 * ("subprocess" for "from subprocess import run", "asyncio.subprocess");
 * relative imports as written (".system"); a computed getattr name on a
 * module as "os.*"; the encoding rule the declared codec.  Positions are
 * those of the reference's first token (its head), of the imported name,
 * or of the blocked attribute name itself.
 *
 * Tokenizer errors: violations before the error are still reported and
 * tokenize_failed is set.  Python cannot compile such code either, so it
 * never runs; pytok is tested not to reject code Python accepts. */
#ifndef PYEXEC_POLICY_H
#define PYEXEC_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"
#include "base/util.h"

#define POLICY_RULE_IMPORT "import"
#define POLICY_RULE_CALL "call"
#define POLICY_RULE_ATTRIBUTE "attribute"
#define POLICY_RULE_ENCODING "encoding"

#define POLICY_MAX_VIOLATIONS 100      /* more are dropped */
#define POLICY_MAX_ROUNDS 4            /* alias passes, see above */
#define POLICY_MAX_FILE (1 << 20)      /* policy.conf size limit */

struct policy;                          /* opaque, read-only once built */

/* The compiled-in defaults.  Returns a new policy; never NULL. */
struct policy *policy_default(void);

/* Reads a policy.conf: one rule per line ("module NAME", "call PATTERN",
 * "attribute NAME", "import-function NAME"), '#' comments, blank lines.
 * The file replaces the defaults unless it says "include defaults", after
 * which "allow-module NAME", "allow-call PATTERN", "allow-attribute NAME"
 * and "allow-import-function NAME" remove single defaults.  A missing file
 * (ENOENT) gives the defaults.  Returns a new policy, or NULL with err
 * (ERR_LEN) naming the file and line. */
struct policy *policy_load(const char *path, char *err);

/* The policy of a configuration, in *out: NULL when policy = off, else
 * policy_file.  A missing file at the default path (conf.h) means the
 * built-in defaults; a missing file the operator named is a mistake
 * worth stopping for.  0, or -1 with err. */
struct conf;
int policy_load_configured(const struct conf *c, struct policy **out,
                           char *err);

/* The same from text; name is used in messages. */
struct policy *policy_load_string(const char *text, const char *name,
                                  char *err);

void policy_free(struct policy *p);                 /* NULL is fine */

/* Appends the rules of p to out in policy.conf syntax, one per line. */
void policy_write(const struct policy *p, struct buf *out);

struct policy_violation {
    const char *rule;           /* POLICY_RULE_*: a static string */
    char *name;                 /* canonical dotted name, e.g. "os.system" */
    int line, col;              /* 1-based; col in code points */
};

struct policy_result {
    struct policy_violation *v; /* sorted by line, then column */
    size_t n, cap;
    bool tokenize_failed;
    char tokenize_error[ERR_LEN];   /* "line L, column C: ..." */
};

/* Checks src[0..len) (UTF-8 Python source) against p and fills out, which
 * the caller releases with policy_result_release.  out->n > 0 means the
 * code must not run.  Returns 0, or -1 (out->tokenize_error says why) for
 * a source over 4 GiB that it cannot analyse: do not run that either.
 * Memory: the source is borrowed; the analysis takes about 24 bytes per
 * token (at most one per byte), so the caller bounds it through the size
 * of code it accepts (max_code_bytes).  Time is linear in the source,
 * times the alias passes (see POLICY_MAX_ROUNDS). */
int policy_check(const struct policy *p, const char *src, size_t len,
                 struct policy_result *out);

void policy_result_release(struct policy_result *r);

#endif
