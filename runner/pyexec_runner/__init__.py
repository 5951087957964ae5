"""The in-container half of pyexec: the runner that PROTOCOL.md describes.

runner.py (the container's command) only calls server.main().  The modules:

  server        listening socket, preloading, one connection = one
                execution
  request       the request JSON, checked and clamped
  frames        the framing shared by the reply and the children's meta pipe
  child         the runner's handle on a fork of itself: a stateless
                execution's process or the session interpreter
  execution     the runner's side of an execution: pipes, limits, the result
  program       the sandbox user's side: process set-up, running the code,
                figures and files (runs in the forked child, never in the
                runner)
  zygote        the light interpreter: forks for code that imports none
                of the heavy packages, forked before the runner loads them
  reaper        kills sandbox processes and empties the sandbox's directories
  helper        how the reaper and the zygote are forked, one socket each
  sandbox_user  the sandbox user and the privilege drop, shared by the above

An execution is one run of user code; the sandbox is the container it
runs in; the runner is this program, the container's command.
"""
