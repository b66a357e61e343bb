"""Faults the server must survive without losing or half-showing anything: a full disk, and kill -9 in the middle of
many uploads."""
import hashlib
import os
import subprocess
import threading

import pytest
import requests

from conftest import Server, wait_until
from test_server_robustness import api, new_history, paste, run_script, wait_job

TUS = {"Tus-Resumable": "1.0.0"}


def tus_create(server, length):
    r = api(server, "POST", "/upload/resumable_upload", headers={**TUS, "Upload-Length": str(length)})
    return r, (server.url + r.headers["Location"]) if r.status_code == 201 else None


def tus_patch(server, location, data, offset=0):
    return requests.patch(location, data=data, timeout=60, headers={
        **TUS, "Content-Type": "application/offset+octet-stream", "Upload-Offset": str(offset), "x-api-key": server.key})


def fetch(server, history, location, name):
    return api(server, "POST", "/tools/fetch", json={
        "history_id": history, "targets": [{"destination": {"type": "hdas"}, "elements": [{"src": "files", "name": name}]}],
        "files_0|file_data": {"session_id": location.rsplit("/", 1)[1], "name": name}})


def assert_clean_disk_full(r, data_dir):
    assert r.status_code == 507, r.text
    body = r.json()
    assert body["err_code"] == 507001
    assert body["err_msg"].startswith("the server's disk is full")
    assert str(data_dir) not in r.text and "/" not in body["err_msg"]


@pytest.fixture
def small_disk(built, tmp_path):
    """A server whose data directory is a 64 MiB tmpfs."""
    data = tmp_path / "data"
    data.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(data)], check=True)
    server = Server(data)
    yield server
    server.stop()
    subprocess.run(["umount", "-l", str(data)], check=True)


def fill(path):
    """Writes into path until the disk is full, as a job or another program on the machine might."""
    with open(path, "wb") as f:
        try:
            while True:
                f.write(b"\0" * (1 << 20))
                f.flush()
        except OSError:
            pass


def test_a_full_disk_answers_507_without_paths_and_purge_frees_space(small_disk):
    """64 MiB: the server keeps 8 MiB in reserve and 8 MiB free; two uploads of 20 MB fit, a third does not."""
    server = small_disk
    history = new_history(server)
    script = paste(server, history, 'Console.WriteLine("hello");\n')
    stored = []
    for i in range(2):
        _, location = tus_create(server, 20_000_000)
        assert tus_patch(server, location, os.urandom(20_000_000)).status_code == 204
        r = fetch(server, history, location, f"part{i}.bin")
        assert r.status_code == 200, r.text
        stored.append(r.json()["outputs"][0]["id"])

    # A third would leave the database no room: refused before a byte arrives.
    refused, _ = tus_create(server, 20_000_000)
    assert_clean_disk_full(refused, server.data_dir)
    # Something else fills the disk: a started upload's bytes, a paste and a tool run are refused cleanly.
    _, location = tus_create(server, 4_000_000)
    fill(server.data_dir / "filler")
    assert_clean_disk_full(tus_patch(server, location, os.urandom(4_000_000)), server.data_dir)
    pasted = api(server, "POST", "/tools", json={"history_id": history, "tool_id": "upload1", "inputs": {"files_0|NAME": "x.txt"}, "files_0|url_paste": "x" * 100_000})
    assert_clean_disk_full(pasted, server.data_dir)
    run = api(server, "POST", "/tools", json={"history_id": history, "tool_id": "ganymede_run_script", "inputs": {"select_file": {"src": "hda", "id": script}}})
    assert_clean_disk_full(run, server.data_dir)
    assert [d["id"] for d in api(server, "GET", f"/histories/{history}/contents").json()] == [script, *stored]

    # With the disk still full, the started upload can be dropped, and purging works and frees the space.
    assert requests.delete(location, headers={**TUS, "x-api-key": server.key}, timeout=30).status_code == 204
    assert api(server, "DELETE", f"/histories/{history}/contents/{stored[0]}", json={"purge": True}).status_code == 200
    shown = api(server, "GET", f"/datasets/{stored[0]}").json()
    assert shown["deleted"] and shown["purged"]
    _, location = tus_create(server, 10_000_000)
    assert tus_patch(server, location, os.urandom(10_000_000)).status_code == 204
    assert fetch(server, history, location, "after.bin").json()["outputs"][0]["state"] == "ok"
    assert list(server.temporary.iterdir()) == []
    assert (server.data_dir / "reserve").stat().st_size == 8 << 20  # made again once there was room


@pytest.fixture
def fresh_server(built, tmp_path):
    server = Server(tmp_path / "data")
    yield server
    server.stop()


def test_kill_9_during_ten_concurrent_uploads_loses_nothing_and_leaves_nothing(fresh_server):
    """Five tus and five multipart uploads are cut by kill -9 halfway; after the restart the tus uploads resume."""
    server = fresh_server
    history = new_history(server)
    sent, size = 4_000_000, 12_000_000
    payloads = [os.urandom(size) for _ in range(5)]
    killed = threading.Event()

    def halfway(data, head=b"", tail=b""):
        """Sends the first part of data, then holds the connection open until the server is killed."""
        if head:
            yield head  # an empty chunk would end a chunked body
        for i in range(0, sent, 1 << 20):
            yield data[i:min(i + (1 << 20), sent)]
        killed.wait(120)
        yield data[sent:] + tail

    sessions = [tus_create(server, size)[1] for _ in range(5)]
    boundary = "cutboundary"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"history_id\"\r\n\r\n{history}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"tool_id\"\r\n\r\nupload1\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"files_0|file_data\"; filename=\"cut.bin\"\r\n\r\n").encode()
    requests_made = [lambda i=i: tus_patch(server, sessions[i], halfway(payloads[i])) for i in range(5)] + [
        lambda i=i: requests.post(server.url + "/api/tools", data=halfway(payloads[i], head, f"\r\n--{boundary}--\r\n".encode()), timeout=120,
                                  headers={"x-api-key": server.key, "Content-Type": f"multipart/form-data; boundary={boundary}"})
        for i in range(5)]

    def attempt(request):
        try:
            request()
        except requests.exceptions.RequestException:
            pass  # the server died under it

    threads = [threading.Thread(target=attempt, args=(r,)) for r in requests_made]
    for t in threads:
        t.start()

    def halfway_everywhere():
        parts = [p.stat().st_size for p in (server.data_dir / "uploads").iterdir()]
        temporary = [p.stat().st_size for p in server.temporary.iterdir()]
        # The multipart reader holds back a few KiB while it looks for the next boundary.
        return len(parts) == 5 and min(parts) >= sent and len(temporary) == 5 and min(temporary) >= sent - (64 << 10)
    wait_until(halfway_everywhere, 60, "ten uploads arriving halfway")
    server.kill()
    killed.set()
    for t in threads:
        t.join()
    server.start()

    assert list(server.temporary.iterdir()) == []
    assert api(server, "GET", f"/histories/{history}/contents").json() == []
    for location, payload in zip(sessions, payloads):
        offset = int(requests.head(location, headers={**TUS, "x-api-key": server.key}, timeout=30).headers["Upload-Offset"])
        assert tus_patch(server, location, payload[offset:], offset).status_code == 204
        assert fetch(server, history, location, "resumed.bin").status_code == 200
    shown = api(server, "GET", f"/histories/{history}/contents", params={"v": "dev", "keys": "state,hid"}).json()
    assert sorted(d["hid"] for d in shown) == [1, 2, 3, 4, 5] and all(d["state"] == "ok" for d in shown)
    digests = {api(server, "GET", f"/datasets/{d['id']}").json()["hashes"][0]["hash_value"] for d in shown}
    assert digests == {hashlib.sha256(p).hexdigest() for p in payloads}
    jobs = api(server, "GET", "/jobs", params={"history_id": history}).json()
    assert len(jobs) == 5 and all(j["state"] == "ok" for j in jobs)
    assert list((server.data_dir / "uploads").iterdir()) == []


def test_kill_9_while_a_jobs_outputs_are_collected_leaves_nothing_unfinished(fresh_server):
    server = fresh_server
    history = new_history(server)
    script = paste(server, history, 'Console.WriteLine("ran");\nFile.WriteAllBytes("big.h5", new byte[300_000_000]);\n')
    job = run_script(server, history, script)

    def collecting_big_output():
        return any(p.stat().st_size > 100_000_000 for p in server.temporary.iterdir())
    wait_until(collecting_big_output, 240, "the job's 300 MB output being collected")
    server.kill()
    server.start()

    finished = wait_job(server, job)
    assert finished["state"] == "ok" and finished["stdout"].count("ran") == 1  # collected again, never run again
    contents = api(server, "GET", f"/histories/{history}/contents").json()
    assert all(d["state"] in ("ok", "empty") for d in contents), [(d["name"], d["state"]) for d in contents]
    big = [d for d in contents if d["name"] == "big.h5"]
    assert len(big) == 1 and api(server, "GET", f"/datasets/{big[0]['id']}").json()["file_size"] == 300_000_000
    assert list(server.temporary.iterdir()) == []
