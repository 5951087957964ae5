"""benchlib - the parts of scripts/bench.py (pyexec's benchmark).

  cpu      where the machine's CPU goes during a phase: /proc/stat, the
           containers' cgroups, host processes by name
  engine   Docker's Engine API over its unix socket, with pyexec's
           container options
  floors   what the machine costs without pyexec, measured in the same run
  probe    the script the floors run inside the sandbox image
  load     the HTTP clients that drive a stack through lighttpd
  report   the table, the targets of issue 15 and the JSON
"""
