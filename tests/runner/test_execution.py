"""The runner's side of an execution (pyexec_runner.execution) on the
host's python3: a forked process stands in for the sandboxed program and
writes to the four pipes whatever a test wants, and a socket pair stands
in for the host.  What reaches the host is read back frame by frame."""
import json
import os
import socket
import time

import pytest

from pyexec_runner import execution, frames, request
from pyexec_test.waits import scaled

def png(width=4, height=3):
    """The start of a PNG: signature and IHDR (the runner reads no more)."""
    return (execution.PNG_SIGNATURE
            + execution.PNG_IHDR.pack(13, b"IHDR", width, height)
            + b"rest of a png")


PNG = png()
# What the host may receive, with room for anything a test sends.
HOST_CAPS = {k: 1 << 20 for k in (frames.STDOUT, frames.STDERR,
                                  frames.IMAGE, frames.FILE)}


def write_frame(fd, kind, payload):
    os.write(fd, frames.header(kind, len(payload)) + payload)


def report(**fields):
    fields.setdefault("exit_code", 0)
    return json.dumps(fields).encode()


def report_and_wait(meta, payload):
    """Reports, then lives on, as a session interpreter does (a stateless
    process exits at once, so pump() may see the exit first)."""
    write_frame(meta, frames.META, payload)
    time.sleep(scaled(60))


class Run:
    """One execution: program(stdin, stdout, stderr, meta) runs in a fork
    in place of the sandboxed process; what follows pump() is what
    child.Child.execute does."""

    def __init__(self, program, deadline=30, host_gone=False,
                 until_report=True, **fields):
        req = request.parse(json.dumps({"op": "exec", "code": "",
                                        **fields}).encode())
        ours, self.host = socket.socketpair()
        if host_gone:
            self.host.close()
        io = execution.ExecutionIO(ours, req)
        pid = os.fork()
        if pid == 0:
            try:
                # Only its four pipes, as the sandboxed process has.
                for fd in map(int, os.listdir("/proc/self/fd")):
                    if fd > 2 and fd not in io.child_fds:
                        try:
                            os.close(fd)
                        except OSError:
                            pass
                program(*io.child_fds)
            finally:
                os._exit(0)
        pidfd = os.pidfd_open(pid)
        try:
            io.close_child_fds()
            self.how = io.pump(time.monotonic() + scaled(deadline), pidfd,
                               until_report)
            if self.how != execution.EXITED:
                os.kill(pid, 9)
            status = execution.wait_status(os.waitpid(pid, 0)[1])
            if self.how == execution.REPORTED:
                status = io.report.get("exit_code", 0), None
            self.exit_code, self.signal = status
            io.drain()
            self.result = io.result(exit_code=self.exit_code,
                                    signal=self.signal,
                                    timed_out=self.how == execution.TIMED_OUT,
                                    oom=False, time_ms=1.0,
                                    session_reset=False)
        finally:
            io.close()
            os.close(pidfd)
            ours.close()
        self.frames = [] if host_gone else self._host_frames()

    def _host_frames(self):
        reader = frames.FrameReader(HOST_CAPS)
        out = []
        self.host.settimeout(scaled(10))
        with self.host:
            while True:
                data = self.host.recv(65536)
                if not data:
                    break
                out += reader.feed(data)
        assert not reader.broken and not reader.buf
        return out

    def payloads(self, kind):
        return [p for k, p in self.frames if k == kind]

    def stream(self, kind):
        return b"".join(self.payloads(kind))


def test_output_is_relayed_and_the_report_kept():
    def program(stdin, out, err, meta):
        os.write(out, b"hello ")
        os.write(err, b"oops\n")
        os.write(out, b"world\n")
        report_and_wait(meta, report(last_repr="42", exit_code=3))
    run = Run(program)
    assert run.how == execution.REPORTED
    assert run.result["exit_code"] == 3
    assert run.stream(frames.STDOUT) == b"hello world\n"
    assert run.stream(frames.STDERR) == b"oops\n"
    assert run.result["last_repr"] == "42"
    assert run.result["truncated"] is False


def test_a_process_that_exits_without_a_report():
    def program(stdin, out, err, meta):
        os.write(out, b"bye\n")
        os._exit(3)
    run = Run(program)
    assert run.how == execution.EXITED
    assert (run.exit_code, run.signal) == (3, None)
    assert run.stream(frames.STDOUT) == b"bye\n"
    assert run.result["last_repr"] is None


def test_the_deadline_ends_a_program_that_never_reports():
    def program(stdin, out, err, meta):
        time.sleep(scaled(60))
    run = Run(program, deadline=0.2)
    assert run.how == execution.TIMED_OUT
    assert run.signal == 9 and run.result["timed_out"] is True


def test_stdin_larger_than_a_pipe_is_fed_without_blocking():
    data = "x" * 300_000

    def program(stdin, out, err, meta):
        with os.fdopen(stdin, "rb") as f:
            os.write(out, b"%d\n" % len(f.read()))
    run = Run(program, stdin=data)
    assert run.stream(frames.STDOUT) == b"300000\n"


def test_output_past_max_output_is_cut_and_said_so():
    def program(stdin, out, err, meta):
        os.write(out, b"o" * 100)
        os.write(err, b"e" * 30)
    run = Run(program, max_output=50)
    assert run.stream(frames.STDOUT) == b"o" * 50
    assert run.stream(frames.STDERR) == b"e" * 30
    assert run.result["truncated"] is True


def test_images_must_be_png_and_within_the_limits():
    def program(stdin, out, err, meta):
        write_frame(meta, frames.IMAGE, PNG)
        write_frame(meta, frames.IMAGE, b"GIF89a not a png")
        write_frame(meta, frames.IMAGE, PNG + b"x" * 100)     # over the cap
        write_frame(meta, frames.IMAGE, PNG)
        write_frame(meta, frames.IMAGE, png(10000, 5001))      # > 50 Mpx
        write_frame(meta, frames.IMAGE, png(0, 5))
        write_frame(meta, frames.IMAGE, execution.PNG_SIGNATURE)  # no IHDR
        write_frame(meta, frames.IMAGE, PNG)                   # the third
        report_and_wait(meta, report(images_dropped=5))
    run = Run(program, max_images=2, max_image_bytes=len(PNG) + 10)
    assert run.payloads(frames.IMAGE) == [PNG, PNG]
    # Dropped here; what the program says it dropped is not counted.
    assert run.result["images_dropped"] == 6


def test_figures_not_rendered_past_max_images_count_once_it_is_reached():
    def program(stdin, out, err, meta):
        write_frame(meta, frames.DROPPED, frames.IMAGE)     # too early
        write_frame(meta, frames.IMAGE, PNG)
        write_frame(meta, frames.DROPPED, frames.IMAGE)
        write_frame(meta, frames.DROPPED, frames.IMAGE)
        report_and_wait(meta, report())
    run = Run(program, max_images=1)
    assert run.payloads(frames.IMAGE) == [PNG]
    assert run.result["images_dropped"] == 2


def test_a_forged_report_decides_nothing():
    """Issue 16, finding 5: user code can write to the meta pipe.  A
    stateless execution ends when its process exits; the status is
    waitpid's, the drop counts are the runner's, and the output written
    after the forged report still arrives."""
    def program(stdin, out, err, meta):
        write_frame(meta, frames.META, report(
            exit_code=0, error=None, images_dropped=7, files_dropped=9,
            memory_error=True))
        write_frame(meta, frames.DROPPED, frames.FILE)
        write_frame(meta, frames.DROPPED, frames.IMAGE)     # none sent
        time.sleep(0.2)
        os.write(out, b"after the report\n")
        os._exit(3)
    run = Run(program, until_report=False)
    assert run.how == execution.EXITED
    r = run.result
    assert (r["exit_code"], r["signal"]) == (3, None)
    assert r["images_dropped"] == 0 and r["files_dropped"] == 1
    assert r["oom"] is True     # a MemoryError may end a failing program
    assert run.stream(frames.STDOUT) == b"after the report\n"


def test_a_memory_error_report_does_not_fail_a_program_that_exited_0():
    def program(stdin, out, err, meta):
        write_frame(meta, frames.META, report(memory_error=True))
    run = Run(program, until_report=False)
    assert run.result["exit_code"] == 0 and run.result["oom"] is False


@pytest.mark.parametrize("name", ["", ".", "..", "a/b", "nul\0", "n" * 256])
def test_files_with_names_that_are_not_plain_are_dropped(name):
    def program(stdin, out, err, meta):
        write_frame(meta, frames.FILE,
                    frames.file_payload(name, b"data"))
        write_frame(meta, frames.FILE, frames.file_payload("ok.txt", b"1"))
    run = Run(program)
    assert run.payloads(frames.FILE) == [frames.file_payload("ok.txt",
                                                             b"1")]
    assert run.result["files_dropped"] == 1


def test_files_past_the_count_or_size_are_dropped():
    def program(stdin, out, err, meta):
        for i in range(3):
            write_frame(meta, frames.FILE,
                        frames.file_payload("f%d" % i, b"x" * 10))
        write_frame(meta, frames.FILE, frames.file_payload("big", b"x" * 11))
    run = Run(program, max_files=2, max_file_bytes=10)
    assert [frames.split_file_payload(p)[0]
            for p in run.payloads(frames.FILE)] == ["f0", "f1"]
    assert run.result["files_dropped"] == 2


def test_the_report_is_checked_and_bounded():
    long_repr = "é" * 40                     # 80 bytes of UTF-8

    def program(stdin, out, err, meta):
        report_and_wait(meta, json.dumps({
            "exit_code": 999, "last_repr": long_repr, "error": "E: \ud800",
            "memory_error": "yes", "images_dropped": -4,
            "forged": True}).encode("utf-8", "surrogatepass"))
    run = Run(program, max_output=51)
    r = run.result
    # Cut at max_output bytes, not inside a character.
    assert r["last_repr"] == "é" * 25 and r["truncated"] is True
    assert r["error"] == "E: \ufffd"
    assert r["oom"] is False                  # "yes" is not a boolean
    assert r["images_dropped"] == 0
    assert "forged" not in r
    assert r["exit_code"] == 255


def test_only_the_first_report_counts():
    def program(stdin, out, err, meta):
        write_frame(meta, frames.META, report(last_repr="first"))
        report_and_wait(meta, report(last_repr="second"))
    assert Run(program).result["last_repr"] == "first"


def test_a_client_that_goes_away_is_noticed():
    def program(stdin, out, err, meta):
        os.write(out, b"anyone there?\n")
        time.sleep(scaled(60))
    run = Run(program, host_gone=True)
    assert run.how == execution.CLIENT_GONE
    assert run.signal == 9


@pytest.mark.parametrize("payload,want", [
    (b'{"exit_code": 3, "last_repr": "x", "error": null}',
     {"exit_code": 3, "last_repr": "x"}),
    (b'{"exit_code": -1}', {"exit_code": 0}),
    (b'{"exit_code": 300}', {"exit_code": 255}),
    (b'{"exit_code": true}', {}),
    (b'{"error": "' + b"e" * (frames.ERROR_MAX + 5) + b'"}',
     {"error": "e" * frames.ERROR_MAX}),
    (b'{"files_dropped": 99999999999}', {}),
    (b"[1, 2]", {}),
    (b"not json", {}),
    (b"[" * 100000, {}),
])
def test_parse_report_keeps_only_well_typed_known_fields(payload, want):
    assert execution.parse_report(payload) == want


def test_wait_status():
    assert execution.wait_status(3 << 8) == (3, None)
    assert execution.wait_status(9) == (None, 9)
