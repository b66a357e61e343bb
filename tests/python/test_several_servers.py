"""Several `ganymede serve` processes over one PostgreSQL and one data directory, as Galaxy's job handlers: each job is
claimed by exactly one server, and when one is killed, another adopts its jobs. Clients (BioBlend) talk to any of them."""
import hashlib
import os
import random

import pytest

from conftest import Server, ganymede, wait_until
from postgres_cluster import PostgresCluster
from test_faults import fetch, tus_create, tus_patch
from test_server_robustness import api, new_history, paste

JOBS = 300


@pytest.fixture(scope="module")
def postgres(built):
    if os.geteuid() != 0:
        pytest.skip("starting PostgreSQL as its own user needs root")
    cluster = PostgresCluster()
    yield cluster
    cluster.stop()


def start_servers(data, database, count):
    """count servers of one data directory and database; the first makes the users."""
    def args(i):
        return ["--handler-name", f"server{i}", "--handler-timeout", "5", "--max-jobs", "4"]
    first = Server(data, database=database, name="server0", extra_args=args(0))
    return [first] + [Server(data, database=database, name=f"server{i}", keys=(first.key, first.other_key), extra_args=args(i))
                      for i in range(1, count)]


def test_jobs_submitted_to_three_servers_each_run_once_although_one_is_killed_halfway(postgres, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    database = postgres.create_database("three_servers")
    servers = start_servers(data, database, 3)
    admin = ganymede("users", "create", "--email", "admin@example.org", "--admin", "--data-dir", data, "--database", database).strip().splitlines()[-1]
    try:
        history = new_history(servers[0], "several servers")
        texts = [f"input {k} from server {k}\n" for k in range(3)]
        inputs = [paste(servers[k], history, texts[k], name=f"input{k}.txt") for k in range(3)]
        alive = list(servers)
        rng = random.Random(25)
        expected = {}
        for n in range(JOBS):
            if n == JOBS // 2:
                servers[1].kill()  # kill -9, with jobs of its own queued and running
                alive.remove(servers[1])
            k = n % 3
            run = rng.choice(alive).gi().tools.run_tool(history, "cat1", {"input1": {"src": "hda", "id": inputs[k]}})
            expected[run["outputs"][0]["id"]] = texts[k]

        def unfinished():
            listed = api(alive[0], "GET", "/jobs", params={"history_id": history, "limit": 1000}).json()
            return [j for j in listed if j["tool_id"] == "cat1" and j["state"] not in ("ok", "error", "deleted")]
        wait_until(lambda: not unfinished(), 240, f"the end of all {JOBS} jobs")
        jobs = [j for j in api(alive[0], "GET", "/jobs", params={"history_id": history, "limit": 1000}).json() if j["tool_id"] == "cat1"]
        assert len(jobs) == JOBS and {j["state"] for j in jobs} == {"ok"}

        # Each job ran exactly once: its supervisor writes its start time into the job folder when it runs, and a
        # folder of a job that had begun is never erased (a second run would keep it beside, as N.earlier-...).
        folders = list((data / "jobs").iterdir())
        started = [p for p in folders if (p / "started").exists()]
        assert len(started) == JOBS and all(p.name.isdigit() for p in started)
        # The servers shared the work, and the survivors adopted the killed one's jobs.
        handlers = [j["handler"] for j in api(alive[0], "GET", "/jobs", params={"history_id": history, "limit": 1000, "user_details": "true"},
                                              key=admin).json() if j["tool_id"] == "cat1"]
        assert {"server0", "server2"} <= set(handlers)
        assert any("adopting" in (data / f"server{i}.log").read_text() for i in (0, 2))

        # Every output holds what its input held.
        for dataset, text in expected.items():
            assert api(alive[0], "GET", f"/datasets/{dataset}/display").text == text
    finally:
        for s in servers:
            s.stop()


def test_a_tus_upload_begun_on_one_server_resumes_on_another(postgres, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    servers = start_servers(data, postgres.create_database("tus_servers"), 3)
    try:
        payload = os.urandom(3 << 20)
        history = new_history(servers[0])
        created, location = tus_create(servers[0], len(payload))
        assert created.status_code == 201, created.text
        path = location[len(servers[0].url):]
        assert tus_patch(servers[1], servers[1].url + path, payload[:1 << 20]).status_code == 204
        head = api(servers[2], "HEAD", path[len("/api"):], headers={"Tus-Resumable": "1.0.0", "x-api-key": servers[2].key})
        assert head.headers["Upload-Offset"] == str(1 << 20)
        assert tus_patch(servers[2], servers[2].url + path, payload[1 << 20:], offset=1 << 20).status_code == 204
        r = fetch(servers[0], history, location, "resumed.bin")
        assert r.status_code == 200, r.text
        dataset = r.json()["outputs"][0]["id"]
        wait_until(lambda: api(servers[1], "GET", f"/datasets/{dataset}").json()["state"] == "ok", 60, "the upload's dataset")
        got = api(servers[1], "GET", f"/datasets/{dataset}/display").content
        assert hashlib.sha256(got).hexdigest() == hashlib.sha256(payload).hexdigest()
    finally:
        for s in servers:
            s.stop()
