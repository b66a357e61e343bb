"""BioBlend's own test suite (Debian's python3-bioblend 1.0.0, bioblend/_tests/TestGalaxy*.py) against a real server.

Every test passes except those listed, with the reason, in bioblend_suite_expectations.txt; a listed test that
passes is an error too, so the list only shrinks; at least 90 % pass. The share that passes is printed.
"""
import os
import pathlib
import subprocess
import tempfile
import xml.etree.ElementTree as ElementTree

from conftest import Server, ganymede

SUITE = pathlib.Path("/usr/lib/python3/dist-packages/bioblend/_tests")
EXPECTATIONS = pathlib.Path(__file__).with_name("bioblend_suite_expectations.txt")
# Never run: it probes a public address to decide whether to skip itself (tests reach loopback only).
NEVER_RUN = ["TestGalaxyObjects.py::TestLibrary::test_dataset_from_url"]


def expectations():
    """Test id -> (expected outcome, reason), from lines "failed|skipped TEST_ID  reason"."""
    listed = {}
    for line in EXPECTATIONS.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            outcome, test, reason = line.split(maxsplit=2)
            assert outcome in ("failed", "skipped"), line
            assert test not in listed, f"{test} is listed twice"
            listed[test] = (outcome, reason)
    return listed


def outcomes(junit):
    """Test id ("TestGalaxyX.py::Class::test") -> passed, failed or skipped, from pytest's JUnit XML."""
    results = {}
    for case in ElementTree.parse(junit).iter("testcase"):
        parts = case.get("classname").split(".")
        module = next(i for i, part in enumerate(parts) if part.startswith("TestGalaxy"))
        test = "::".join([parts[module] + ".py", *parts[module + 1:], case.get("name")])
        kinds = {child.tag for child in case}
        results[test] = "failed" if kinds & {"failure", "error"} else "skipped" if "skipped" in kinds else "passed"
    return results


def test_bioblends_own_suite_passes_but_for_the_listed_tests(built, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    # The suite writes the files it imports by path into the system's temporary folder, and gives its users Galaxy's
    # shortest passwords (6 characters).
    server = Server(data, "23.1", extra_args=["--allow-path-paste", tempfile.gettempdir(), "--min-password-length", "6"])
    try:
        admin = ganymede("users", "create", "--email", "admin@example.org", "--admin", "--data-dir", data).strip().splitlines()[-1]
        # Another user's published workflow, which the suite imports as a shared one.
        server.gi().workflows.import_workflow_from_local_path(str(SUITE / "data" / "paste_columns.ga"), publish=True)
        junit = tmp_path / "suite.xml"
        env = dict(os.environ, BIOBLEND_GALAXY_URL=server.url, BIOBLEND_GALAXY_API_KEY=admin, GALAXY_VERSION="release_23.1")
        files = sorted(str(p.name) for p in SUITE.glob("TestGalaxy*.py"))
        subprocess.run(["/usr/bin/python3", "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={junit}", "-o", "junit_family=xunit1",
                        *files, *[a for t in NEVER_RUN for a in ("--deselect", t)]],
                       cwd=SUITE, env=env, capture_output=True, text=True, timeout=1200)
    finally:
        server.stop()
    results = outcomes(junit)
    listed = expectations()
    unexpected = sorted(f"{t}: {o}" for t, o in results.items() if o != "passed" and listed.get(t, (None,))[0] != o)
    now_passing = sorted(t for t, (o, _) in listed.items() if results.get(t) == "passed")
    missing = sorted(t for t in listed if t not in results)
    passed, total = sum(o == "passed" for o in results.values()), len(results) + len(NEVER_RUN)
    print(f"BioBlend's suite: {passed} of {total} passed ({100 * passed / total:.0f} %)")
    assert not unexpected, "tests that fail or skip without being listed:\n" + "\n".join(unexpected) + f"\n(the server's log: {data / 'server.log'})"
    assert not now_passing, "listed tests that pass now (take them off the list):\n" + "\n".join(now_passing)
    assert not missing, "listed tests that did not run:\n" + "\n".join(missing)
    assert passed >= 0.9 * total, f"only {passed} of {total} of BioBlend's tests pass; at least 90 % should"
