"""What jobs leave behind is untrusted: hostile outputs (links, pipes, hard links) and writes to inputs never reach
another user's data or stall the job loop; a stop leaves no orphaned temporary file or unfinished dataset."""
import hashlib
import sqlite3

import h5py
import requests
import pytest

from conftest import Server, wait_until
from test_server_robustness import api, new_history


def history_of_b(server):
    return api(server, "POST", "/histories", key=server.other_key, json={"name": "B"}).json()["id"]


def wait_job(server, job_id, key=None):
    """The job (B's, unless another key is given) once it has ended."""
    def ended():
        ended.job = api(server, "GET", f"/jobs/{job_id}", key=key or server.other_key, params={"full": "True"}).json()
        return ended.job["state"] in ("ok", "error", "deleted")
    wait_until(ended, 240, f"job {job_id} ending")
    return ended.job


def upload(server, key, history, content, name):
    body = {"history_id": history, "tool_id": "upload1", "inputs": {"file_type": "auto", "files_0|NAME": name}, "files_0|url_paste": content}
    r = api(server, "POST", "/tools", key=key, json=body)
    assert r.status_code == 200, r.text
    return r.json()["outputs"][0]["id"]


def run_as(server, key, history, script, datasets=(), paths=None):
    script_id = upload(server, key, history, script, "hostile.csx")
    inputs = {"select_file": {"src": "hda", "id": script_id}}
    if datasets:
        inputs["ml_h5_datasets"] = {"values": [{"src": "hda", "id": d} for d in datasets]}
    if paths:
        inputs["ml_h5_dataset_paths"] = paths
    r = api(server, "POST", "/tools", key=key, json={"history_id": history, "tool_id": "ganymede_run_script", "inputs": inputs})
    return r


def stored_file(server, content):
    """The data directory's file holding these bytes (the test knows the layout; a job must never reach it)."""
    matches = [p for p in (server.data_dir / "files").rglob("*.dat") if p.read_bytes() == content]
    assert len(matches) == 1
    return matches[0]


@pytest.fixture
def victim(built, tmp_path):
    """A server where user A (server.key) has a private dataset; yields (server, its file, its SHA-256)."""
    server = Server(tmp_path / "data")
    secret = "patient-identifiers-of-user-A\n" * 100
    upload(server, server.key, new_history(server), secret, "private.txt")
    path = stored_file(server, secret.encode())
    yield server, path, hashlib.sha256(path.read_bytes()).hexdigest()
    server.stop()


@pytest.mark.parametrize("make, refusal", [
    ('File.CreateSymbolicLink("leak.h5", TARGET);', "leak.h5 is a symbolic link"),
    ('System.Diagnostics.Process.Start("mkfifo", "pipe.h5")!.WaitForExit();', "pipe.h5 is a named pipe (FIFO)"),
    # Inside its sandbox a job sees none of A's files: its hard link can only be a second name of one of its own.
    ('File.WriteAllText("mine.txt", "x");\nSystem.Diagnostics.Process.Start("ln", new[] { "mine.txt", "hard.h5" })!.WaitForExit();', "hard.h5 is a hard link"),
], ids=["symlink", "fifo", "hardlink"])
def test_a_hostile_output_is_refused_and_the_job_fails_with_the_reason(victim, make, refusal):
    server, target, before = victim
    history = history_of_b(server)
    script = f'var TARGET = "{target}";\n{make}\nConsole.WriteLine("left it");\n'
    r = run_as(server, server.other_key, history, script)
    assert r.status_code == 200, r.text
    job = wait_job(server, r.json()["jobs"][0]["id"])
    assert job["state"] == "error" and refusal in job["info"], job
    # The output that was refused is in error with the same reason; nothing of A's became B's.
    contents = api(server, "GET", f"/histories/{history}/contents", key=server.other_key, params={"details": "all"}).json()
    refused = [d for d in contents if d["name"] == refusal.split(" ")[0]]
    assert refused and refused[0]["state"] == "error" and refusal in refused[0]["misc_info"]
    assert hashlib.sha256(target.read_bytes()).hexdigest() == before
    assert list(server.temporary.iterdir()) == []
    # The loop is not stalled: the next job runs to its end.
    again = run_as(server, server.other_key, history, 'Console.WriteLine(6 * 7);\n')
    assert wait_job(server, again.json()["jobs"][0]["id"])["state"] == "ok"


def test_a_job_writing_to_its_inputs_changes_only_its_own_copies(victim, tmp_path):
    server, _, _ = victim
    history = history_of_b(server)
    path = tmp_path / "data.h5"
    with h5py.File(path, "w") as f:
        f["X"] = [[1.0, 2.0], [3.0, 4.0]]
    content = path.read_bytes()
    r = api(server, "POST", "/tools", key=server.other_key, data={"history_id": history, "tool_id": "upload1", "inputs": '{"file_type": "auto"}'},
            files={"files_0|file_data": ("data.h5", content)})
    assert r.status_code == 200, r.text
    data = r.json()["outputs"][0]["id"]
    stored = stored_file(server, content)
    script = 'File.WriteAllText("data/data.h5", "overwritten");\nFile.AppendAllText(Input("data.h5"), "appended");\n'
    r = run_as(server, server.other_key, history, script, datasets=[data], paths="data/data.h5")
    assert wait_job(server, r.json()["jobs"][0]["id"])["state"] == "ok"
    assert stored.read_bytes() == content
    shown = api(server, "GET", f"/datasets/{data}", key=server.other_key).json()
    assert shown["state"] == "ok" and shown["hashes"][0]["hash_value"] == hashlib.sha256(content).hexdigest()
    # A data path may not name the file the server writes the parameters to.
    refused = run_as(server, server.other_key, history, "1", datasets=[data], paths="parameters.json")
    assert refused.status_code == 400 and "data path 'parameters.json'" in refused.json()["err_msg"]


def test_a_restart_removes_orphaned_temporary_files_and_ends_unfinished_outputs(victim):
    server, _, _ = victim
    history = history_of_b(server)
    r = run_as(server, server.other_key, history, 'Console.WriteLine("done");\n')
    job = wait_job(server, r.json()["jobs"][0]["id"])
    assert job["state"] == "ok"
    log_id = [o["id"] for o in api(server, "GET", f"/histories/{history}/contents", key=server.other_key).json() if o["name"] == "Log"]
    server.stop()
    # As a kill in the middle of collecting would leave them: a half-copied file in tmp/, an output still running.
    (server.temporary / "half-copied.part").write_bytes(b"x" * 1000)
    with sqlite3.connect(server.data_dir / "ganymede.sqlite") as db:
        assert db.execute("UPDATE datasets SET state = 'running' WHERE name = 'Log'").rowcount == 1
    server.start()
    assert list(server.temporary.iterdir()) == []
    shown = api(server, "GET", f"/datasets/{log_id[0]}", key=server.other_key).json()
    assert shown["state"] == "error" and "stopped while this output was being collected" in shown["misc_info"]


def peak_memory_mib(pid):
    status = open(f"/proc/{pid}/status").read()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:"))) / 1024


def test_a_huge_multipart_text_field_is_refused_while_it_streams(victim):
    server, _, _ = victim
    history = history_of_b(server)
    before = peak_memory_mib(server.process.pid)
    boundary = "hostileboundary"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"history_id\"\r\n\r\n{history}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"tool_id\"\r\n\r\nupload1\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"files_0|url_paste\"\r\n\r\n").encode()

    def body():
        yield head
        chunk = b"x" * (1 << 20)
        for _ in range(200):  # a 200 MB one-line text field
            yield chunk
        yield f"\r\n--{boundary}--\r\n".encode()

    try:
        r = api(server, "POST", "/tools", key=server.other_key, data=body(), headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
        assert r.status_code == 413 and "form field files_0|url_paste is larger than" in r.json()["err_msg"]
    except requests.exceptions.ConnectionError:
        pass  # the server answered 413 and closed the connection before the client finished sending
    # The field was never read whole: the server's peak memory grew by far less than the field's size.
    assert peak_memory_mib(server.process.pid) - before < 100
    assert api(server, "GET", f"/histories/{history}/contents", key=server.other_key).json() == []
