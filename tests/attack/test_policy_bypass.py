"""Ways around the policy that a tokenizer can see (issue 16, finding 6):
code and attribute names built from strings at run time, unpickling and
namespace lookups.  With the policy on each is refused; with it off each
runs a shell command, and the container is what holds: the command runs
as uid 10001 with nothing to reach.  The policy is a lint; the container
is the boundary (SECURITY.md)."""

import pytest

# Each runs `id -u` through a way around the direct spelling.
CASES = {
    "exec-computed": (
        "exec('import sub' + 'process as s\\n'\n"
        "     'print(s.run([\"id\", \"-u\"], capture_output=True,'\n"
        "     ' text=True).stdout.strip())')\n", ("call", "exec")),
    "eval-computed": (
        "m = eval('__imp' + 'ort__(\"o\" + \"s\")')\n"
        "m.system('id -u')\n", ("call", "eval")),
    "pickle-loads": (
        "import pickle\n"
        "pickle.loads(b\"cposix\\nsystem\\n(S'id -u'\\ntR.\")\n",
        ("call", "pickle.loads")),
    "vars-of-module": (
        "import os\nvars(os)['sys' + 'tem']('id -u')\n", ("call", "os.*")),
    "globals-subscript": (
        "g = globals()['__buil' + 'tins__']\n"
        "b = g if isinstance(g, dict) else vars(g)\n"
        "b['__imp' + 'ort__']('o' + 's').system('id -u')\n",
        ("call", "globals()[]")),
    "attrgetter": (
        "import operator, os\n"
        "operator.attrgetter('sys' + 'tem')(os)('id -u')\n",
        ("call", "operator.attrgetter")),
    "methodcaller": (
        "import operator, os\n"
        "operator.methodcaller('system', 'id -u')(os)\n",
        ("call", "operator.methodcaller")),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_names_built_at_run_time(atk, name):
    code, blocked = CASES[name]
    j = atk.run(code, blocked=blocked)
    if j is None:
        return                  # the policy refused it
    assert j["status"] == "completed", j
    assert j["stdout"].split() == ["10001"], j
    atk.held("container: the command ran as uid 10001, without "
             "capabilities or network")


def test_literal_exec_and_eval_still_run(atk):
    """Teaching code keeps exec and eval of literals."""
    j = atk.run("exec('x = 20')\nprint(eval('x + 22'))\n"
                "import operator\nprint(operator.attrgetter('real')(5))\n")
    assert j["stdout"] == "42\n5\n", j
    atk.held("nothing to stop: literals are checked and allowed")
