"""The attack suite uses the e2e harness and fixtures (tests/e2e).

Every case runs against `attack_stack`, once with the policy on and once
with it off (and, in modules that list ISOLATIONS, once per isolation mode
too).  The stacks all have one configuration (attacklib.SUITE_CONF), so
they are shared by every module: pytest groups the cases by stack and
keeps one stack up at a time, four in all, and checks each for leaked
containers when it stops.  Starting a stack on a loaded machine takes
longer than most cases, hence the sharing; each case still checks after
itself that the service is healthy and no container is unaccounted for.
`atk` binds a case to the stack; see attacklib.py."""

import os

import pytest

import attacklib
from pyexec_test.fixtures import finish_stack
from pyexec_test.stack import OUT, SRC


# PYEXEC_ATTACK_POLICIES=on runs the cases with the policy on only: the
# ASan pass of scripts/test does, since with the policy off the same C
# paths run and only the container is tested further.
POLICIES = {"on": (True,), "off": (False,), "both": (True, False)}[
    os.environ.get("PYEXEC_ATTACK_POLICIES", "both")]


def pytest_generate_tests(metafunc):
    if "attack_stack" not in metafunc.fixturenames:
        return
    isolations = getattr(metafunc.module, "ISOLATIONS", ("container",))
    params, ids = [], []
    for isolation in isolations:
        for policy in POLICIES:
            params.append((policy, isolation))
            ids.append("policy-%s" % ("on" if policy else "off")
                       + ("" if len(isolations) == 1 else "-" + isolation))
    metafunc.parametrize("attack_stack", params, ids=ids, indirect=True,
                         scope="session")


@pytest.fixture(scope="session")
def attack_stack(request):
    policy, isolation = request.param
    name = "atk-%s-%s" % ("on" if policy else "off", isolation[:4])
    # The policy file the project ships (and installs).
    conf = {"policy_file": os.path.join(SRC, "deploy", "policy.conf")}
    st = attacklib.new_stack(name, policy, isolation, conf)
    try:
        st.start()
        st.wait_healthy(120)
        st.first_helpers = set(st.helpers())
        yield st
    finally:
        finish_stack(st)


@pytest.fixture
def atk(attack_stack, request):
    a = attacklib.Attack(attack_stack, request.node.nodeid)
    yield a
    # (b) after every case, whatever it did: the service is healthy.
    a.healthy()
    call = getattr(request.node, "rep_call", None)
    if call is not None and call.passed:
        assert a.layers, "the case did not say what stopped the attack"
        a.record()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.when == "call":
        item.rep_call = rep


def pytest_terminal_summary(terminalreporter):
    if not attacklib.LAYERS:
        return
    lines = ["", "attack cases: what stopped each one", ""]
    for nodeid, policy, isolation, layer in attacklib.LAYERS:
        case = nodeid.split("::", 1)[-1].split("[")[0]
        lines.append("%-52s policy %-3s %-9s %s" % (case, policy,
                                                    isolation, layer))
    text = "\n".join(lines) + "\n"
    terminalreporter.write(text)
    try:
        os.makedirs(OUT, exist_ok=True)
        with open(os.path.join(OUT, "attack-layers.txt"), "w") as f:
            f.write(text)
    except OSError:
        pass
