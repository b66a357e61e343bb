"""Bad input, interrupted and large uploads, cancellation, and restarts, against a real server on loopback."""
import hashlib
import json
import os
import socket
import subprocess
import time

import pytest
import requests

from conftest import Server, wait_until

SLOW_SCRIPT = 'System.Threading.Thread.Sleep({ms});\nConsole.WriteLine("slept");\n'


@pytest.fixture
def fresh_server(built, tmp_path):
    s = Server(tmp_path / "data")
    yield s
    if s.process.poll() is None:
        s.stop()


def api(server, method, path, key=None, **kwargs):
    headers = kwargs.pop("headers", {})
    headers.setdefault("x-api-key", key or server.key)
    return requests.request(method, server.url + "/api" + path, headers=headers, timeout=60, **kwargs)


def new_history(server, name="h"):
    return api(server, "POST", "/histories", json={"name": name}).json()["id"]


def paste(server, history, content, name="script.csx"):
    body = {"history_id": history, "tool_id": "upload1", "inputs": {"file_type": "auto", "files_0|NAME": name}, "files_0|url_paste": content}
    r = api(server, "POST", "/tools", json=body)
    assert r.status_code == 200, r.text
    return r.json()["outputs"][0]["id"]


def run_script(server, history, script_id):
    r = api(server, "POST", "/tools", json={"history_id": history, "tool_id": "ganymede_run_script", "inputs": {"select_file": {"src": "hda", "id": script_id}}})
    assert r.status_code == 200, r.text
    return r.json()["jobs"][0]["id"]


def wait_job(server, job_id, until=("ok", "error", "deleted"), timeout=240):
    deadline = time.time() + timeout
    while time.time() < deadline:
        job = api(server, "GET", f"/jobs/{job_id}", params={"full": "True"}).json()
        if job["state"] in until:
            return job
        time.sleep(0.3)
    raise AssertionError(f"job {job_id} stayed {job['state']}: stdout {job.get('stdout')!r}, stderr {job.get('stderr')!r}")


def test_bad_requests_get_galaxy_errors(server):
    history = new_history(server)
    cases = [
        (api(server, "POST", "/histories", data="{not json", headers={"Content-Type": "application/json"}), 400),
        (api(server, "POST", "/histories", data="<history/>", headers={"Content-Type": "application/xml"}), 415),
        (api(server, "POST", "/histories", data=b"{" + b" " * (17 << 20) + b"}", headers={"Content-Type": "application/json"}), 413),
        (api(server, "GET", "/histories/zzz"), 400),
        (api(server, "GET", "/histories/0123456789abcdef"), 404),
        (api(server, "GET", "/jobs/0123456789abcdef"), 404),
        (api(server, "GET", "/histories", key="not-a-key"), 403),
        (requests.get(server.url + "/api/histories", timeout=10), 403),
        (api(server, "GET", "/no/such/endpoint"), 404),
        (api(server, "POST", "/tools", json={"history_id": history}), 400),
        # Found by fuzzing: a string that is not UTF-8 inside valid JSON, a name given twice, a multipart body cut inside a section.
        (api(server, "POST", "/histories", data=b'{"name": "\xff\xfe"}', headers={"Content-Type": "application/json"}), 400),
        (api(server, "POST", "/histories", data=b'{"name": "a", "name": "b"}', headers={"Content-Type": "application/json"}), 400),
        (api(server, "POST", "/tools", data=b"--b\r\nContent-Disposition: form-data; name=\"tool_id\"\r\n\r\nupl",
             headers={"Content-Type": "multipart/form-data; boundary=b"}), 400),
    ]
    for response, status in cases:
        assert response.status_code == status, response.text
        body = response.json()
        assert body["err_msg"] and isinstance(body["err_code"], int)


@pytest.mark.parametrize("name", ["../../etc/passwd", "/etc/passwd", "a\x00b"])
def test_path_tricks_in_names_are_refused(server, name):
    history = new_history(server)
    body = {"history_id": history, "tool_id": "upload1", "inputs": {"files_0|NAME": name}, "files_0|url_paste": "x"}
    r = api(server, "POST", "/tools", json=body)
    assert r.status_code == 400 and "name" in r.json()["err_msg"]
    script = paste(server, history, "Console.WriteLine(1);")
    data = paste(server, history, "x", name="data.txt")
    for path in ["../outside.h5", "/etc/passwd", "a/../../b"]:
        r = api(server, "POST", "/tools", json={"history_id": history, "tool_id": "ganymede_run_script", "inputs": {
            "select_file": {"src": "hda", "id": script}, "ml_h5_datasets": [{"src": "hda", "id": data}], "ml_h5_dataset_paths": path}})
        assert r.status_code == 400, r.text


def test_interrupted_tus_upload_resumes_and_is_not_a_dataset_until_fetched(server, tmp_path):
    history = new_history(server)
    payload = os.urandom(3_000_000)
    created = api(server, "POST", "/upload/resumable_upload", headers={"Tus-Resumable": "1.0.0", "Upload-Length": str(len(payload)), "x-api-key": server.key})
    location = server.url + created.headers["Location"]
    session = location.rsplit("/", 1)[1]
    patch = {"Tus-Resumable": "1.0.0", "Content-Type": "application/offset+octet-stream", "x-api-key": server.key}
    r = requests.patch(location, data=payload[:1_000_000], headers={**patch, "Upload-Offset": "0"}, timeout=30)
    assert r.headers["Upload-Offset"] == "1000000"
    fetch = {"history_id": history, "targets": [{"destination": {"type": "hdas"}, "elements": [{"src": "files", "name": "blob.bin"}]}],
             "files_0|file_data": {"session_id": session, "name": "blob.bin"}}
    incomplete = api(server, "POST", "/tools/fetch", json=fetch)
    assert incomplete.status_code == 400 and "incomplete" in incomplete.json()["err_msg"]
    assert api(server, "GET", f"/histories/{history}/contents").json() == []
    assert requests.head(location, headers=patch, timeout=10).headers["Upload-Offset"] == "1000000"
    assert requests.patch(location, data=payload[5:], headers={**patch, "Upload-Offset": "5"}, timeout=30).status_code == 409
    requests.patch(location, data=payload[1_000_000:], headers={**patch, "Upload-Offset": "1000000"}, timeout=30)
    done = api(server, "POST", "/tools/fetch", json=fetch).json()["outputs"][0]
    assert done["state"] == "ok" and done["hashes"][0]["hash_value"] == hashlib.sha256(payload).hexdigest()


def test_multipart_upload_cut_off_leaves_nothing(server):
    history = new_history(server)
    boundary = "XyZ"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"history_id\"\r\n\r\n{history}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"tool_id\"\r\n\r\nupload1\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"files_0|file_data\"; filename=\"big.bin\"\r\n\r\n").encode()
    with socket.create_connection(("127.0.0.1", server.port)) as s:
        s.sendall((f"POST /api/tools HTTP/1.1\r\nHost: localhost\r\nx-api-key: {server.key}\r\n"
                   f"Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {len(head) + 50_000_000}\r\n\r\n").encode() + head)
        s.sendall(os.urandom(5_000_000))
        wait_until(lambda: os.listdir(server.temporary) != [], 30, "the server receiving the upload")
    # The connection is cut: the server notices and removes what it received; nothing becomes a dataset.
    wait_until(lambda: os.listdir(server.temporary) == [], 30, "the partial upload being removed")
    assert api(server, "GET", f"/histories/{history}/contents").json() == []


def test_large_uploads_stream_with_constant_memory(server, tmp_path):
    big = tmp_path / "big.bin"
    with open(big, "wb") as f:
        for _ in range(64):
            f.write(os.urandom(8 << 20))  # 512 MiB
    gi = server.gi()
    history = gi.histories.create_history("large")["id"]
    uploaded = gi.tools.upload_file(str(big), history)["outputs"][0]
    digest = hashlib.sha256(big.read_bytes()).hexdigest()
    assert gi.datasets.show_dataset(uploaded["id"])["hashes"][0]["hash_value"] == digest
    peak_kb = int([l for l in open(f"/proc/{server.process.pid}/status") if l.startswith("VmHWM")][0].split()[1])
    assert peak_kb < 400 * 1024, f"server peaked at {peak_kb // 1024} MiB while receiving 512 MiB"


def test_cancel_stops_a_running_job(fresh_server):
    history = new_history(fresh_server)
    job = run_script(fresh_server, history, paste(fresh_server, history, SLOW_SCRIPT.format(ms=60000)))
    wait_job(fresh_server, job, until=("running",))
    assert api(fresh_server, "DELETE", f"/jobs/{job}").json() is True
    assert wait_job(fresh_server, job)["state"] == "deleted"
    assert api(fresh_server, "DELETE", f"/jobs/{job}").json() is False
    outputs = [d for d in api(fresh_server, "GET", f"/histories/{history}/contents").json() if d["hid"] > 1]
    assert outputs and all(d["state"] == "discarded" for d in outputs)
    assert subprocess.run(["pgrep", "-f", f"{fresh_server.data_dir}/jobs/"], capture_output=True).stdout == b""


def test_restart_keeps_queued_jobs_and_recovers_running_ones(fresh_server):
    history = new_history(fresh_server)
    running = run_script(fresh_server, history, paste(fresh_server, history, SLOW_SCRIPT.format(ms=6000)))
    queued = run_script(fresh_server, history, paste(fresh_server, history, SLOW_SCRIPT.format(ms=10), name="quick.csx"))
    wait_job(fresh_server, running, until=("running",))
    assert api(fresh_server, "GET", f"/jobs/{queued}").json()["state"] == "queued"
    fresh_server.kill()  # the job's process lives on in its own session
    fresh_server.start()
    assert wait_job(fresh_server, running)["state"] == "ok"
    finished = wait_job(fresh_server, queued)
    assert finished["state"] == "ok" and "slept" in finished["stdout"]


def test_restart_after_the_job_process_died_reports_error(fresh_server):
    history = new_history(fresh_server)
    job = run_script(fresh_server, history, paste(fresh_server, history, SLOW_SCRIPT.format(ms=60000)))
    wait_job(fresh_server, job, until=("running",))
    fresh_server.kill()
    subprocess.run(["pkill", "-9", "-f", f"{fresh_server.data_dir}/jobs/"])
    wait_until(lambda: subprocess.run(["pgrep", "-f", f"{fresh_server.data_dir}/jobs/"], capture_output=True).returncode == 1, 30,
               "the job's processes ending")
    fresh_server.start()
    failed = wait_job(fresh_server, job)
    assert failed["state"] == "error" and "without recording an exit code" in failed["stderr"]
    states = {d["state"] for d in api(fresh_server, "GET", f"/histories/{history}/contents").json() if d["hid"] > 1}
    assert states == {"error"}
