"""Several `ganymede serve` processes over one PostgreSQL and one data directory, as Galaxy's job handlers: each job is
claimed by exactly one server, and when one is killed, another adopts its jobs. Clients (BioBlend) talk to any of them."""
import hashlib
import json
import os
import random
import shutil
import tempfile

import pytest

from conftest import Server, ganymede, wait_until
from postgres_cluster import PostgresCluster
from slurm_cluster import SlurmCluster
from test_faults import fetch, tus_create, tus_patch
from test_server_robustness import api, new_history, paste

# Jobs per run: fewer through Slurm, whose controller starts them one by one on the one node's four CPUs.
JOBS = {"local": 300, "slurm": 60}
# Invocations of a chain of tool steps, for the workflow scheduler under several servers.
INVOCATIONS, CHAIN = 6, 3


@pytest.fixture(scope="module")
def postgres(built):
    if os.geteuid() != 0:
        pytest.skip("starting PostgreSQL as its own user needs root")
    cluster = PostgresCluster()
    yield cluster
    cluster.stop()


@pytest.fixture(scope="module")
def slurm(built, tmp_path_factory):
    """A one-node Slurm cluster that the servers started while it is current submit to (SLURM_CONF in their environment)."""
    base = tempfile.mkdtemp(prefix="ganymede-slurm-")
    os.chmod(base, 0o755)  # munged runs as its own user and must reach its folder
    cluster = SlurmCluster(base, ctld_port=16927, slurmd_port=16928)
    yield cluster
    cluster.stop()
    shutil.rmtree(base, ignore_errors=True)


def start_servers(data, database, count, runner="local"):
    """count servers of one data directory and database; the first makes the users."""
    args = ["--handler-timeout", "5", "--max-jobs", "4", "--runner", runner]
    if runner == "slurm":
        args += ["--job-limits", "memory=1GiB"]  # the node has 8000 MB: the default 8 GiB is more than it could give
    first = Server(data, database=database, name="server0", extra_args=args)
    return [first] + [Server(data, database=database, name=f"server{i}", keys=(first.key, first.other_key), extra_args=args)
                      for i in range(1, count)]


@pytest.mark.parametrize("runner", ["local", "slurm"])
def test_jobs_submitted_to_three_servers_each_run_once_although_one_is_killed_halfway(postgres, runner, request, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    database = postgres.create_database(f"three_servers_{runner}")
    count = JOBS[runner]
    if runner == "slurm":
        cluster = request.getfixturevalue("slurm")
        os.environ["SLURM_CONF"] = str(cluster.conf)
    try:
        servers = start_servers(data, database, 3, runner)
    finally:
        os.environ.pop("SLURM_CONF", None)
    admin = ganymede("users", "create", "--email", "admin@example.org", "--admin", "--data-dir", data, "--database", database).strip().splitlines()[-1]
    try:
        history = new_history(servers[0], "several servers")
        texts = [f"input {k} from server {k}\n" for k in range(3)]
        inputs = [paste(servers[k], history, texts[k], name=f"input{k}.txt") for k in range(3)]
        alive = list(servers)
        rng = random.Random(25)
        expected = {}
        for n in range(count):
            if n == count // 2:
                servers[1].kill()  # kill -9, with jobs of its own queued and running
                alive.remove(servers[1])
            k = n % 3
            run = rng.choice(alive).gi().tools.run_tool(history, "cat1", {"input1": {"src": "hda", "id": inputs[k]}})
            expected[run["outputs"][0]["id"]] = texts[k]

        def unfinished():
            listed = api(alive[0], "GET", "/jobs", params={"history_id": history, "limit": 1000}).json()
            return [j for j in listed if j["tool_id"] == "cat1" and j["state"] not in ("ok", "error", "deleted")]
        wait_until(lambda: not unfinished(), 240, f"the end of all {count} jobs")
        jobs = [j for j in api(alive[0], "GET", "/jobs", params={"history_id": history, "limit": 1000}).json() if j["tool_id"] == "cat1"]
        assert len(jobs) == count and {j["state"] for j in jobs} == {"ok"}

        # Each job ran exactly once: its supervisor writes its start time into the job folder when it runs, and a
        # folder of a job that had begun is never erased (a second run would keep it beside, as N.earlier-...).
        folders = list((data / "jobs").iterdir())
        started = [p for p in folders if (p / "started").exists()]
        assert len(started) == count and all(p.name.isdigit() for p in started)
        if runner == "slurm":
            assert cluster.completed_jobs().count("JobState=COMPLETED") == count
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


def chain_workflow(length):
    """A .ga workflow: one dataset input, then `length` cat1 steps, each reading the one before."""
    steps = {"0": {"id": 0, "type": "data_input", "label": "text", "tool_state": json.dumps({"name": "text"}), "input_connections": {}}}
    for i in range(1, length + 1):
        steps[str(i)] = {"id": i, "type": "tool", "tool_id": "cat1", "tool_state": "{}",
                         "input_connections": {"input1": {"id": i - 1, "output_name": "output" if i == 1 else "out_file1"}}}
    return {"a_galaxy_workflow": "true", "format-version": "0.1", "name": f"chain of {length}", "steps": steps}


def test_invocations_go_on_under_three_servers_although_the_leading_one_is_killed(postgres, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    servers = start_servers(data, postgres.create_database("three_servers_workflows"), 3)
    alive = servers[1:]
    try:
        gi = alive[0].gi()
        history = new_history(alive[0], "workflows on several servers")
        workflow = gi.workflows.import_workflow_dict(chain_workflow(CHAIN))["id"]
        texts = [f"invocation {k}\n" for k in range(INVOCATIONS)]
        inputs = [paste(alive[k % 2], history, text, name=f"text{k}.txt") for k, text in enumerate(texts)]
        rng = random.Random(28)
        invocations = [rng.choice(servers).gi().workflows.invoke_workflow(workflow, inputs={"0": {"src": "hda", "id": d}}, history_id=history)["id"]
                       for d in inputs]

        def cat_jobs():
            return [j for j in api(alive[0], "GET", "/jobs", params={"history_id": history, "limit": 1000}).json() if j["tool_id"] == "cat1"]
        # server0 started first, so it leads and schedules every invocation: killed once the first steps have run,
        # another server takes the lead when its heartbeat is overdue and goes on where it stopped.
        wait_until(lambda: any(j["state"] == "ok" for j in cat_jobs()), 60, "the first step of an invocation")
        servers[0].kill()
        made_by_the_leader = len(cat_jobs())
        assert 0 < made_by_the_leader < INVOCATIONS * CHAIN, "the leader was killed before or after all the work"
        wait_until(lambda: all(gi.invocations.show_invocation(i)["state"] == "scheduled" for i in invocations), 120, "every invocation scheduled")
        wait_until(lambda: all(j["state"] in ("ok", "error", "deleted") for j in cat_jobs()), 120, "the end of every step's job")

        # Each tool step ran exactly once: one job per step, all ok, and no other cat1 job made anywhere.
        jobs = cat_jobs()
        assert len(jobs) == INVOCATIONS * CHAIN and {j["state"] for j in jobs} == {"ok"}
        for invocation, text in zip(invocations, texts):
            shown = gi.invocations.show_invocation(invocation)
            tool_steps = [s for s in shown["steps"] if s["order_index"] > 0]
            assert len(tool_steps) == CHAIN and all(len(s["jobs"]) == 1 for s in tool_steps)
            last = next(s for s in tool_steps if s["order_index"] == CHAIN)["jobs"][0]["id"]
            output = gi.jobs.show_job(last)["outputs"]["out_file1"]["id"]
            assert api(alive[0], "GET", f"/datasets/{output}/display").text == text
        started = [p for p in (data / "jobs").iterdir() if (p / "started").exists()]
        assert len(started) == INVOCATIONS * CHAIN
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
