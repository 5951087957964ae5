/* pyexec-fcgi.c - main() of the FastCGI daemon: options, config, then the
 * master takes over. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/conf.h"
#include "base/log.h"
#include "base/util.h"
#include "proc/master.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: pyexec-fcgi [--config FILE] [--print-config] "
            "[--check-config] [--version]\n"
            "Runs Python code sent over HTTP in Docker sandboxes, as a "
            "pre-forked FastCGI\napplication.  FILE defaults to %s, or "
            "$PYEXEC_CONFIG.\n", conf_default_path());
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "config", required_argument, NULL, 'c' },
        { "print-config", no_argument, NULL, 'p' },
        { "check-config", no_argument, NULL, 't' },
        { "version", no_argument, NULL, 'V' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *option = NULL;
    bool print = false, check = false;
    struct conf_source src;
    struct conf c;

    for (;;) {
        int o = getopt_long(argc, argv, "c:ptVh", opts, NULL);

        if (o == -1)
            break;
        switch (o) {
        case 'c': option = optarg; break;
        case 'p': print = true; break;
        case 't': check = true; break;
        case 'V': printf("pyexec-fcgi %s\n", PACKAGE_VERSION); return 0;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc) {
        usage(stderr);
        return 2;
    }
    conf_load_program(&c, option, &src);
    log_set_level((enum log_level)c.log_level);
    if (print || check) {
        if (print)
            conf_print(&c, STDOUT_FILENO);
        else
            printf("%s: configuration OK\n", c.path ? c.path : src.path);
        conf_release(&c);
        return 0;
    }
    return master_run(&c, &src);
}
