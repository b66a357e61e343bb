"""Jobs on a real one-node Slurm cluster: ganymede serve --runner slurm submits job.sh with sbatch."""
import json
import os
import shutil
import tempfile

import h5py
import pytest

from conftest import ROOT, Server, processes_running, wait_until
from slurm_cluster import SlurmCluster
from test_server_robustness import SLOW_SCRIPT, api, new_history, paste, run_script, wait_job


@pytest.fixture(scope="module")
def slurm_server(built, tmp_path_factory):
    if os.geteuid() != 0:
        pytest.skip("starting munge and Slurm daemons needs root")
    # munged runs as its own user: its directory must be reachable, which pytest's private temporary folders are not.
    base = tempfile.mkdtemp(prefix="ganymede-slurm-")
    os.chmod(base, 0o755)
    cluster = SlurmCluster(base)
    saved = os.environ.get("SLURM_CONF")
    os.environ["SLURM_CONF"] = str(cluster.conf)  # the server's sbatch, squeue and scancel find the cluster
    try:
        server = Server(tmp_path_factory.mktemp("server"), extra_args=["--runner", "slurm", "--max-jobs", "2", "--job-limits", "memory=1GiB",
                                                                    "--job-resource-max", "cores=4,memory=16GiB,gpus=1"])
    finally:
        if saved is None:
            os.environ.pop("SLURM_CONF")
        else:
            os.environ["SLURM_CONF"] = saved
    yield server, cluster
    server.stop()
    cluster.stop()
    shutil.rmtree(base, ignore_errors=True)


def test_a_script_job_runs_through_slurm_in_the_same_sandbox(slurm_server):
    server, cluster = slurm_server
    history = new_history(server)
    database = (server.data_dir / "ganymede.sqlite").resolve()
    script = ('using System.Net.NetworkInformation;\n'
              'Console.WriteLine("uid " + File.ReadAllLines("/proc/self/status").First(l => l.StartsWith("Uid:")).Split(\'\\t\')[1]);\n'
              'Console.WriteLine("interfaces " + string.Join(",", NetworkInterface.GetAllNetworkInterfaces().Select(n => n.Name)));\n'
              f'Console.WriteLine("database visible: " + File.Exists(@"{database}"));\n'
              'System.Diagnostics.Process.Start("bash", new[] { "-c", "trap \'\' TERM HUP; exec sleep 1000.375" });\n')
    job = run_script(server, history, paste(server, history, script))
    done = wait_job(server, job)
    assert done["state"] == "ok", done["stderr"]
    lines = done["stdout"].splitlines()
    assert 2_000_000 <= int(lines[0].split()[1]) < 3_000_000
    assert lines[1:3] == ["interfaces lo", "database visible: False"]
    assert "ganymede-" in cluster.completed_jobs()
    # The child that ignores SIGTERM ended with the job.
    assert processes_running("sleep", "1000.375") == []


def test_a_slurm_job_over_its_memory_limit_is_killed_and_says_so(slurm_server):
    server, _ = slurm_server
    history = new_history(server)
    script = 'var held = new List<byte[]>();\nfor (int i = 0; i < 8192; i++) { var b = new byte[1 << 20]; Array.Fill(b, (byte)1); held.Add(b); }\n'
    done = wait_job(server, run_script(server, history, paste(server, history, script)))
    assert done["state"] == "error" and "killed: memory limit 1 GiB exceeded" in done["info"], done["info"]


def test_a_resource_request_reaches_sbatch_and_one_the_cluster_cannot_satisfy_fails_at_once(slurm_server):
    """The node has 4 CPUs, 8000 MB and no GPU: a request within that runs as asked, one beyond it fails when submitted."""
    server, cluster = slurm_server
    history = new_history(server)
    script = paste(server, history, 'Console.WriteLine(Environment.GetEnvironmentVariable("GANYMEDE_SLOTS"));\n')

    def run(**resources):
        inputs = {"select_file": {"src": "hda", "id": script}, "__job_resource": {"__job_resource__select": "yes", **resources}}
        r = api(server, "POST", "/tools", json={"history_id": history, "tool_id": "ganymede_run_script", "inputs": inputs})
        assert r.status_code == 200, r.text
        return wait_job(server, r.json()["jobs"][0]["id"])

    done = run(cores=2, memory=0.75, time=0.25)
    assert (done["state"], done["stdout"].strip()) == ("ok", "2"), done["stderr"]
    record = cluster.completed_jobs().strip().splitlines()[-1]
    assert {"TimeLimit=15", "ProcCnt=2", "JobState=COMPLETED"} <= set(record.split()), record
    assert "mem=768M" in record.split("Tres=")[1].split()[0], record

    gpu = run(gpus=1)
    assert gpu["state"] == "error"
    assert gpu["info"] == ("could not start the job: the cluster refused the job's request (1 core, 1 GiB, 3 d, 1 GPU): "
                           "sbatch: error: Invalid generic resource (gres) specification"), gpu["info"]
    memory = run(memory=12)
    assert memory["state"] == "error"
    assert memory["info"].startswith("could not start the job: the cluster refused the job's request (1 core, 12 GiB, 3 d): sbatch: error: "), memory["info"]
    assert "Requested node configuration is not available" in memory["info"], memory["info"]


def test_cancelling_a_slurm_job_scancels_it(slurm_server):
    server, cluster = slurm_server
    history = new_history(server)
    job = run_script(server, history, paste(server, history, SLOW_SCRIPT.format(ms=120000)))
    wait_job(server, job, until=("running",))
    wait_until(lambda: len(cluster.running_jobs()) == 1, 30, "Slurm running the job")
    assert api(server, "DELETE", f"/jobs/{job}").json() is True
    wait_until(lambda: "CANCELLED" in cluster.completed_jobs(), 30, "Slurm recording the job as cancelled")
    assert wait_job(server, job)["state"] == "deleted"


PIPELINE = ROOT / "examples" / "workflows" / "notebook-pipeline"


def test_two_notebook_pipelines_run_at_once_through_slurm(slurm_server, tmp_path):
    """The example pipeline of two notebooks, invoked twice at once from BioBlend: each run gets its own values."""
    server, cluster = slurm_server
    slurm_jobs_before = cluster.completed_jobs().count("ganymede-")
    gi = server.gi()
    workflow = gi.workflows.import_workflow_from_local_path(str(PIPELINE / "pipeline.ga"))["id"]
    history = gi.histories.create_history("notebook pipelines under Slurm")["id"]
    first, second = (gi.tools.upload_file(str(PIPELINE / name), history)["outputs"][0]["id"] for name in ("make-series.ipynb", "summarise.ipynb"))
    invocations = {count: gi.workflows.invoke_workflow(
        workflow, history_id=history, inputs_by="name",
        inputs={"first notebook": {"src": "hda", "id": first}, "second notebook": {"src": "hda", "id": second},
                "series parameters": json.dumps({"count": count, "scale": 2})})["id"] for count in (3, 5)}
    for count, invocation in invocations.items():
        assert gi.invocations.wait_for_invocation(invocation, interval=1)["state"] == "scheduled"
        summary = gi.invocations.show_invocation(invocation)["outputs"]["summary"]["id"]
        assert gi.datasets.wait_for_dataset(summary, interval=1)["state"] == "ok"
        path = gi.datasets.download_dataset(summary, file_path=str(tmp_path / f"summary-{count}.h5"), use_default_filename=False)
        series = [2.0 * i for i in range(1, count + 1)]
        with h5py.File(path, "r") as f:
            assert f["total"][()] == 0.5 * sum(series)  # the second notebook's weight, from the workflow
            assert list(f["normalised"][()]) == [v / series[-1] for v in series]
    assert cluster.completed_jobs().count("ganymede-") == slurm_jobs_before + 4  # two notebook steps per run
