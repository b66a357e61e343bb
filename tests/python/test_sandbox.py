"""A hostile user's scripts, one job per attempt, on a real server whose jobs run in bubblewrap with small limits:
each attempt is prevented, the job ends in error saying why, user A's data stays byte-identical, and the server and
other users' jobs carry on."""
import hashlib
import pathlib

import pytest

from conftest import Server, processes_running
from test_isolation import history_of_b, run_as, stored_file, upload, wait_job
from test_server_robustness import api, new_history

LIMITS = "memory=1GiB,processes=128,disk=256MiB,time=120s"


@pytest.fixture(scope="module")
def hostile(built, tmp_path_factory):
    """A server where A has a private dataset and B runs scripts; yields (server, A's file, its SHA-256, B's history)."""
    server = Server(tmp_path_factory.mktemp("sandbox") / "data", extra_args=["--job-limits", LIMITS])
    secret = "patient-identifiers-of-user-A\n" * 100
    upload(server, server.key, new_history(server), secret, "private.txt")
    path = stored_file(server, secret.encode())
    yield server, path, hashlib.sha256(path.read_bytes()).hexdigest(), history_of_b(server)
    server.stop()


def attempt(hostile, script):
    """Runs B's script to its end; checks A's file is untouched and the server still answers; returns the job."""
    server, target, before, history = hostile
    r = run_as(server, server.other_key, history, script)
    assert r.status_code == 200, r.text
    job = wait_job(server, r.json()["jobs"][0]["id"])
    assert hashlib.sha256(target.read_bytes()).hexdigest() == before
    assert api(server, "GET", "/version").status_code == 200
    return job


def test_another_users_files_the_database_secrets_and_the_host_are_out_of_sight(hostile):
    server, target, _, _ = hostile
    data = server.data_dir.resolve()
    for path in [target, data / "ganymede.sqlite", data / "id_secret", data / "jobs", pathlib.Path("/etc/shadow"),
                 pathlib.Path(f"/proc/{server.process.pid}/environ")]:
        job = attempt(hostile, f'Console.WriteLine(File.Exists(@"{path}") ? File.ReadAllText(@"{path}") : string.Join(",", Directory.GetFileSystemEntries(@"{path}")));\n')
        assert job["state"] == "error", (path, job)
        assert "Could not find a part of the path" in job["info"] or "Could not find file" in job["info"], (path, job["info"])
        assert "patient-identifiers" not in job["stdout"] + job["stderr"]


def test_a_job_has_no_network_but_a_loopback_of_its_own(hostile):
    server, _, _, _ = hostile
    # The only address tried is the server's own, on loopback: from inside, nothing listens there.
    job = attempt(hostile, "using System.Net.NetworkInformation;\n"
                           "Console.WriteLine(\"interfaces: \" + string.Join(\",\", NetworkInterface.GetAllNetworkInterfaces().Select(n => n.Name)));\n"
                           f"new System.Net.Sockets.TcpClient().Connect(\"127.0.0.1\", {server.port});\n")
    assert "interfaces: lo\n" in job["stdout"]
    assert job["state"] == "error" and "Connection refused" in job["info"], job["info"]


def test_a_child_that_ignores_sigterm_ends_with_the_job(hostile):
    job = attempt(hostile, 'System.Diagnostics.Process.Start("bash", new[] { "-c", "trap \'\' TERM HUP; exec sleep 1000.125" });\n'
                           'Console.WriteLine("left a child");\n')
    assert job["state"] == "ok" and "left a child" in job["stdout"]
    assert processes_running("sleep", "1000.125") == []


@pytest.mark.parametrize("script, limit", [
    ('var held = new List<byte[]>();\nfor (int i = 0; i < 4096; i++) { var b = new byte[1 << 20]; Array.Fill(b, (byte)1); held.Add(b); }\n',
     "killed: memory limit 1 GiB exceeded"),
    ('for (int i = 0; i < 200; i++) System.Diagnostics.Process.Start("sleep", "60");\n', "killed: process limit 128 reached"),
    ('var f = File.Create("big.bin");\nvar block = new byte[1 << 20];\nfor (int i = 0; i < 2048; i++) f.Write(block);\n',
     "killed: disk limit 256 MiB exceeded"),
], ids=["4-GiB", "200-processes", "2-GiB-written"])
def test_a_job_over_a_limit_is_killed_and_says_which(hostile, script, limit):
    job = attempt(hostile, script)
    assert job["state"] == "error" and limit in job["info"], job["info"]
    assert job["stderr"].rstrip().endswith(limit)


def test_other_users_jobs_still_run(hostile):
    server, _, _, _ = hostile
    r = run_as(server, server.key, new_history(server), 'Console.WriteLine(6 * 7);\n')
    job = wait_job(server, r.json()["jobs"][0]["id"], key=server.key)
    assert job["state"] == "ok" and job["stdout"].strip() == "42"
