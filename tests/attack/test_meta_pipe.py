"""Forged frames on the meta pipe (issue 16, finding 5).

User code shares its process with the part of the runner that sends
figures, files and the program's report on fd 3, so it can write any
frame there.  It must not decide its own verdict: the status and exit
code come from the runner's observation of the process, the drop counts
from the runner's checks, and output written after a forged report still
arrives.  A PNG that claims more than 50 megapixels is dropped."""

import struct

FORGE = r"""
import json, os, struct, sys
def frame(kind, payload):
    return kind + struct.pack('>I', len(payload)) + payload
report = json.dumps({'exit_code': 0, 'last_repr': None, 'error': None,
                     'memory_error': False, 'images_dropped': 0,
                     'files_dropped': 0}).encode()
os.write(3, frame(b'm', report))
ihdr = struct.pack('>I4sIIBBBBB', 13, b'IHDR', 100000, 100000, 8, 2, 0, 0, 0)
png = b'\x89PNG\r\n\x1a\n' + ihdr + b'\0' * 4 + b'\0\0\0\0IEND\xaeB`\x82'
os.write(3, frame(b'i', png))
print('after the forged report', flush=True)
sys.exit(3)
"""


def test_a_forged_report_decides_nothing(atk):
    j = atk.run(FORGE)
    assert j["status"] == "error", j
    assert j["exit_code"] == 3, j
    assert j["stdout"] == "after the forged report\n", j
    assert j["images"] == [], j["images"]
    assert j["images_dropped"] == 1, j
    atk.held("runner: status from waitpid, not from fd 3; figures "
             "checked (PNG, at most 50 megapixels) and counted by the runner")


def test_forged_drop_counts_are_not_believed(atk):
    """The report's own drop counts (images_dropped 99) are ignored, and a
    frame type the protocol has not leaves the pipe unread, nothing
    else."""
    code = FORGE.replace("'images_dropped': 0", "'images_dropped': 99") \
        .replace("sys.exit(3)", "sys.exit(0)")
    j = atk.run(code)
    assert j["status"] == "completed", j
    assert j["images_dropped"] == 1, j
    atk.held("runner: drop counts are the runner's own")
