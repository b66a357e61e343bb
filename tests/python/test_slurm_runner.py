"""Jobs on a real one-node Slurm cluster: ganymede serve --runner slurm submits job.sh with sbatch."""
import os
import shutil
import tempfile

import pytest

from conftest import Server, wait_until
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
        server = Server(tmp_path_factory.mktemp("server"), extra_args=["--runner", "slurm", "--max-jobs", "2"])
    finally:
        if saved is None:
            os.environ.pop("SLURM_CONF")
        else:
            os.environ["SLURM_CONF"] = saved
    yield server, cluster
    server.stop()
    cluster.stop()
    shutil.rmtree(base, ignore_errors=True)


def test_a_script_job_runs_through_slurm(slurm_server):
    server, cluster = slurm_server
    history = new_history(server)
    job = run_script(server, history, paste(server, history, 'Console.WriteLine($"on slurm as job {Environment.GetEnvironmentVariable("SLURM_JOB_ID")}");'))
    done = wait_job(server, job)
    assert done["state"] == "ok", done["stderr"]
    assert "on slurm as job " in done["stdout"] and not done["stdout"].strip().endswith("job")
    assert "ganymede-" in cluster.completed_jobs()


def test_cancelling_a_slurm_job_scancels_it(slurm_server):
    server, cluster = slurm_server
    history = new_history(server)
    job = run_script(server, history, paste(server, history, SLOW_SCRIPT.format(ms=120000)))
    wait_job(server, job, until=("running",))
    wait_until(lambda: len(cluster.running_jobs()) == 1, 30, "Slurm running the job")
    assert api(server, "DELETE", f"/jobs/{job}").json() is True
    wait_until(lambda: "CANCELLED" in cluster.completed_jobs(), 30, "Slurm recording the job as cancelled")
    assert wait_job(server, job)["state"] == "deleted"
