# Everything below is the same for every job (src/Ganymede.Server/Jobs/job-template.sh); the settings above it are
# this job's. It runs as root, outside the sandbox, where the runner starts it (a process here, or sbatch). The job's
# own commands run in SANDBOX (Sandbox.cs) as an unprivileged user, in control groups of their own that hold the
# limits; when they end, or a limit is passed, or the job is cancelled, every process of the job is killed.
set -u

# make_group CONTROLLER makes the job's group below the one job.sh runs in (the server's, or what Slurm gave the
# job) and sets made to its folder, or to nothing where the controller is missing or not writable.
groups=()
make_group() {
  local parent
  parent=$(sed -n "s/^[0-9]*:$1:\(.*\)/\1/p" /proc/self/cgroup)
  made="/sys/fs/cgroup/$1${parent%/}/$JOB_NAME"
  if [ -n "$parent" ] && [ -w "/sys/fs/cgroup/$1${parent%/}" ] && mkdir -p "$made" 2>/dev/null; then groups+=("$made"); else made=""; fi
}

disk_used() { du -s --block-size=1 work stdout.txt stderr.txt 2>/dev/null | awk '{ n += $1 } END { print n + 0 }'; }
# True once the process limit has refused a fork (that limit makes fork fail rather than kill).
forks_refused() { [ -n "${pids_group:-}" ] && [ "$(awk '$1 == "max" { print $2 }' "$pids_group/pids.events")" != 0 ]; }

# Kills every process of the job, whatever signals they ignore: the sandbox (its processes share one pid namespace,
# which ends with them) and whatever is left in its control groups.
stop_job() {
  [ -n "${watch:-}" ] && kill "$watch" 2>/dev/null
  [ -n "${sandbox:-}" ] && kill -9 "$sandbox" 2>/dev/null
  local group tries pid
  for group in "${groups[@]}"; do
    for tries in $(seq 100); do
      [ -s "$group/cgroup.procs" ] || break
      while read -r pid; do kill -9 "$pid" 2>/dev/null; done < "$group/cgroup.procs"
      sleep 0.05
    done
  done
}

# Ends the job with exit code $1: nothing of it left running, the limit it passed named last in its stderr, its
# control groups removed, and the exit code written last (atomically: the runner takes its presence as the end).
end_job() {
  trap '' TERM INT
  local code=$1 group
  stop_job
  [ -n "${memory_group:-}" ] && [ "$(sed -n 's/^oom_kill //p' "$memory_group/memory.oom_control")" != 0 ] && echo "memory limit $MEMORY_TEXT exceeded" > limit
  # A file that passes the disk limit stops its writer with SIGXFSZ (exit 128 + 25).
  [ "$code" = 153 ] && [ ! -s limit ] && echo "disk limit $DISK_TEXT exceeded" > limit
  # The watch looks once a second; a job that wrote fast, or forked in vain, and ended sooner is judged here.
  [ ! -s limit ] && forks_refused && echo "process limit $MAX_PROCESSES reached" > limit
  [ ! -s limit ] && [ "$(disk_used)" -gt "$DISK_BYTES" ] && echo "disk limit $DISK_TEXT exceeded" > limit
  if [ -s limit ]; then
    echo "killed: $(cat limit)" >> stderr.txt
    [ "$code" = 0 ] && code=137
  fi
  # For the job's metrics: the most memory it held at once (cgroup v1's high-water mark) and the CPU time of all its processes.
  [ -n "${memory_group:-}" ] && cat "$memory_group/memory.max_usage_in_bytes" > memory_peak 2>/dev/null
  [ -n "${cpu_group:-}" ] && awk '{ printf "%.3f\n", $1 / 1e9 }' "$cpu_group/cpuacct.usage" > cpu_seconds 2>/dev/null
  for group in "${groups[@]}"; do rmdir "$group" 2>/dev/null; done
  echo "$code" > exit_code.tmp && mv exit_code.tmp exit_code
  exit "$code"
}

cd "$JOB_DIR" || exit 1
trap 'echo "killed: the job was cancelled" >> stderr.txt; end_job 143' TERM INT
date +%s.%N > started
hostname > host

# Only the standard streams may reach the sandbox: an inherited descriptor of a folder would lead out of it.
for fd in /proc/$$/fd/*; do n=${fd##*/}; [ "$n" -gt 2 ] && eval "exec $n>&-"; done 2>/dev/null

make_group memory; memory_group=$made
if [ -n "$memory_group" ]; then
  echo "$MEMORY_BYTES" > "$memory_group/memory.limit_in_bytes"
  # Swap would let the job go past its memory: memory and swap together get the same limit.
  [ -e "$memory_group/memory.memsw.limit_in_bytes" ] && echo "$MEMORY_BYTES" > "$memory_group/memory.memsw.limit_in_bytes" 2>/dev/null
fi
make_group pids; pids_group=$made
make_group cpuacct; cpu_group=$made
[ -n "$pids_group" ] && echo "$MAX_PROCESSES" > "$pids_group/pids.max"
if [ -n "$CORES" ]; then
  make_group cpuset
  if [ -n "$made" ]; then
    cat "$made/../cpuset.mems" > "$made/cpuset.mems"
    echo "$CORES" > "$made/cpuset.cpus" 2>/dev/null || cat "$made/../cpuset.cpus" > "$made/cpuset.cpus"
  fi
fi
# Where the scheduler chose the job's GPUs (Slurm's --gres), the sandbox sees the node's GPU device files and the
# scheduler's choice of them, set after the sandbox clears its environment.
if [ "$RUNNER_GPUS" -gt 0 ]; then
  gpu_args=(--setenv CUDA_VISIBLE_DEVICES "${CUDA_VISIBLE_DEVICES:-}")
  for device in /dev/nvidia*; do gpu_args+=(--dev-bind-try "$device" "$device"); done
  for i in "${!SANDBOX[@]}"; do [ "${SANDBOX[$i]}" = --clearenv ] && break; done
  SANDBOX=("${SANDBOX[@]:0:$((i + 1))}" "${gpu_args[@]}" "${SANDBOX[@]:$((i + 1))}")
fi

# The job's folder belongs to the job's user; the server reads what it leaves as untrusted (UntrustedFiles).
chown -R "$SANDBOX_UID:$SANDBOX_UID" work

(
  for group in "${groups[@]}"; do echo "$BASHPID" > "$group/cgroup.procs"; done
  # The limits that control groups would hold, as rlimits where there are none: the user's processes, its data size.
  [ -z "$memory_group" ] && ulimit -d $((MEMORY_BYTES / 1024))
  [ -z "$pids_group" ] && ulimit -u "$MAX_PROCESSES"
  # No single file may pass the disk limit (bash counts in KiB); the watch below adds up the whole folder.
  ulimit -f $((DISK_BYTES / 1024))
  exec "${SANDBOX[@]}"
) > stdout.txt 2> stderr.txt < /dev/null &
sandbox=$!

# Watches the limits that no kernel mechanism holds here: wall-clock time and the bytes in the job's folder; and the
# process count, whose limit makes fork fail rather than kill. Passing one ends the job.
(
  deadline=$((SECONDS + WALL_SECONDS))
  while sleep 1; do
    reason=""
    if [ "$SECONDS" -ge "$deadline" ]; then reason="time limit $WALL_TEXT exceeded"
    elif [ "$(disk_used)" -gt "$DISK_BYTES" ]; then reason="disk limit $DISK_TEXT exceeded"
    elif forks_refused; then reason="process limit $MAX_PROCESSES reached"
    fi
    if [ -n "$reason" ]; then echo "$reason" > limit; kill -9 "$sandbox" 2>/dev/null; break; fi
  done
) &
watch=$!

wait "$sandbox"
end_job $?
