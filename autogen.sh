#!/bin/sh
# autogen.sh - generate configure and Makefile.in from a git checkout.
set -e
if [ ! -f fcgi-app/pyexec-fcgi.c ] || [ ! -f configure.ac ]; then
    echo "autogen.sh: run me from the top of the pyexec source tree" >&2
    exit 1
fi
mkdir -p m4 build-aux
autoreconf -fi
