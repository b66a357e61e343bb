"""A PostgreSQL 15 of Debian's for tests of several servers on one database: a fresh cluster in a temporary folder,
run as the postgres user on a free loopback port, stopped by its pid file (../shared/notes/test-infrastructure.md)."""
import os
import shutil
import subprocess
import tempfile

from conftest import free_port

BIN = "/usr/lib/postgresql/15/bin"
USER, PASSWORD = "ganymede", "ganymede-test"


def as_postgres(*argv):
    subprocess.run(["runuser", "-u", "postgres", "--", *argv], check=True, capture_output=True, cwd="/")


class PostgresCluster:
    def __init__(self):
        self.folder = tempfile.mkdtemp(prefix="ganymede-pg-")
        shutil.chown(self.folder, "postgres", "postgres")
        self.port = free_port()
        password_file = os.path.join(self.folder, "password")
        with open(password_file, "w") as f:
            f.write(PASSWORD)
        shutil.chown(password_file, "postgres", "postgres")
        as_postgres(f"{BIN}/initdb", "-D", f"{self.folder}/data", "-U", "postgres", "--pwfile", password_file,
                    "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")
        as_postgres(f"{BIN}/pg_ctl", "-D", f"{self.folder}/data", "-l", f"{self.folder}/pg.log", "-w", "-o",
                    f"-k {self.folder} -p {self.port} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off "
                    "-c full_page_writes=off -c max_connections=400", "start")
        self.psql(f"CREATE ROLE {USER} LOGIN PASSWORD '{PASSWORD}'")

    def psql(self, sql, database="postgres"):
        done = subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", database, "-v", "ON_ERROR_STOP=1", "-Atc", sql],
                              env={**os.environ, "PGPASSWORD": PASSWORD}, check=True, capture_output=True, text=True)
        return done.stdout.strip()

    def create_database(self, name):
        """A new empty database owned by the servers' user; its URL for --database."""
        self.psql(f"CREATE DATABASE {name} OWNER {USER}")
        return f"postgresql://{USER}:{PASSWORD}@127.0.0.1:{self.port}/{name}"

    def stop(self):
        as_postgres(f"{BIN}/pg_ctl", "-D", f"{self.folder}/data", "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)
