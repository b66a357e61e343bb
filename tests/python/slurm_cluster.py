"""A one-node Slurm cluster on localhost (munge, slurmctld, slurmd from Debian), in a scratch directory; root only."""
import os
import pathlib
import subprocess
import time

CONF = """ClusterName=ganymedetest
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
SlurmctldPort={ctld_port}
SlurmdPort={slurmd_port}
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={base}/munge/munge.socket
StateSaveLocation={base}/slurm/state
SlurmdSpoolDir={base}/slurm/spool
SlurmctldPidFile={base}/slurm/slurmctld.pid
SlurmdPidFile={base}/slurm/slurmd.pid
SlurmctldLogFile={base}/slurm/slurmctld.log
SlurmdLogFile={base}/slurm/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc={base}/slurm/jobcomp.log
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
MpiDefault=none
MailProg=/bin/true
ReturnToService=2
SlurmdParameters=config_overrides
NodeName=localhost NodeAddr=127.0.0.1 CPUs=4 RealMemory=8000 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
"""


class SlurmCluster:
    def __init__(self, base, ctld_port=16917, slurmd_port=16918):
        self.base = pathlib.Path(base)
        for d in ("munge", "slurm/state", "slurm/spool"):
            (self.base / d).mkdir(parents=True, exist_ok=True)
        subprocess.run(["chown", "munge:munge", str(self.base / "munge")], check=True)
        os.chmod(self.base / "munge", 0o711)
        m = self.base / "munge"
        subprocess.run(["runuser", "-u", "munge", "--", "mungekey", "-c", "-k", str(m / "munge.key")], check=True)
        subprocess.run(["runuser", "-u", "munge", "--", "munged", f"--key-file={m}/munge.key", f"--socket={m}/munge.socket",
                        f"--pid-file={m}/munged.pid", f"--log-file={m}/munged.log", f"--seed-file={m}/munged.seed"], check=True)
        self.conf = self.base / "slurm" / "slurm.conf"
        self.conf.write_text(CONF.format(base=self.base, ctld_port=ctld_port, slurmd_port=slurmd_port))
        self.env = {**os.environ, "SLURM_CONF": str(self.conf)}
        out = lambda name: open(self.base / "slurm" / f"{name}.stdout", "w")  # noqa: E731
        self.ctld = subprocess.Popen(["/usr/sbin/slurmctld", "-D"], env=self.env, stdout=out("ctld"), stderr=subprocess.STDOUT, start_new_session=True)
        self.slurmd = subprocess.Popen(["/usr/sbin/slurmd", "-D", "-N", "localhost"], env=self.env, stdout=out("slurmd"), stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.time() + 30
        while time.time() < deadline:
            state = subprocess.run(["sinfo", "-h", "-n", "localhost", "-o", "%T"], env=self.env, capture_output=True, text=True).stdout.strip()
            if state == "idle":
                return
            time.sleep(0.2)
        raise RuntimeError("the Slurm node did not become idle")

    def running_jobs(self):
        """Slurm's ids of the jobs running now."""
        return subprocess.run(["squeue", "-h", "-t", "R", "-o", "%i"], env=self.env, capture_output=True, text=True).stdout.split()

    def completed_jobs(self):
        log = self.base / "slurm" / "jobcomp.log"
        return log.read_text() if log.exists() else ""

    def stop(self):
        for p in (self.slurmd, self.ctld):
            p.terminate()
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
        pid = (self.base / "munge" / "munged.pid").read_text().strip()
        subprocess.run(["kill", pid])
