"""The benchmark peer: InspIRCd 3 (Debian's package), reachable over WebSocket, tuned for load.

    from bench.perf.inspircd import InspIRCd, ensure_installed
    ensure_installed()
    with InspIRCd().start(port, cpu=0) as ircd:
        ...  # connect to ircd.ws_url with bench.perf.irc.IrcAdapter

Every per-user protection that would otherwise throttle or kill a load generator's clients is
lifted (one connect class for 127.0.0.1, see `CONFIG`), the listen backlog is 4096 like every
server of the suite, and the process runs pinned to one core with its file limit raised to the
hard limit. The daemon runs in the foreground (`--nofork`), as root (`--runasroot`), without a
pid file (`--nopid`); its config, MOTD and log live in a fresh temporary directory.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import resource
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

BINARY = "/usr/sbin/inspircd"
PACKAGE = "inspircd"

# Connections the peer must hold: the idle ramp goes to 19,000 (plus headroom).
MAX_CLIENTS = 25000
# 8 MiB of backlog per client: a member of a 5,000-member room receiving bursts from 10 senders
# must not be dropped for "SendQ exceeded" while the client drains its socket.
HARD_SENDQ = 8 * 1024 * 1024

CONFIG = """\
<config format="xml">
<server name="irc.bench" description="Causette benchmark peer" network="Bench">
<admin name="bench" nick="bench" email="bench@localhost">

# WebSocket clients only, loopback only.
<bind address="127.0.0.1" port="{port}" type="clients" hook="websocket">
<module name="sha1">
<module name="websocket">
<websocket defaultmode="text">
<wsorigin allow="*">
{extra_modules}
# One class for the load generator (every client comes from 127.0.0.1), every limit lifted:
# - localmax/globalmax/limit: per-IP clone limits and class size above the 19,000 idle ramp;
# - timeout 300: a reconnect storm must not hit the registration timeout;
# - pingfreq 1h: no server PINGs (nor ping timeouts) during a run;
# - recvq 1 MiB: a sender may burst thousands of lines;
# - softsendq = hardsendq = 8 MiB: input is not paused, nor a member killed ("SendQ
#   exceeded"), while a big room's deliveries pile up in a slow client's queue;
# - fakelag no + threshold 1e6 + commandrate 1e8 (millicommands/s): no flood delay or kill;
# - resolvehostnames no, useident no: no reverse DNS, no ident probe on connect.
<connect name="bench"
         allow="127.0.0.1"
         localmax="{max_clients}"
         globalmax="{max_clients}"
         limit="{max_clients}"
         maxconnwarn="no"
         maxchans="10000"
         timeout="300"
         pingfreq="3600"
         recvq="{recvq}"
         softsendq="{hard_sendq}"
         hardsendq="{hard_sendq}"
         fakelag="no"
         threshold="1000000"
         commandrate="100000000"
         resolvehostnames="no"
         useident="no">

<cidr ipv4clone="32" ipv6clone="128">
<channels users="10000" opers="10000">
# somaxconn: the listen backlog of every server of the suite; softlimit: max connections
# (InspIRCd caps it at RLIMIT_NOFILE, raised to the hard limit at start).
<performance somaxconn="{backlog}"
             softlimit="{max_clients}"
             clonesonconnect="no"
             netbuffersize="65536"
             quietbursts="yes"
             timeskipwarn="1h">
<options defaultmodes="{defaultmodes}"
         syntaxhints="no"
         announcets="no"
         casemapping="ascii"
         hostintopic="no"
         pingwarning="0">
<security hideserver=""
          announceinvites="none"
          userstats="Pu"
          maxtargets="20">
<limits maxnick="30" maxchan="64">
<whowas groupsize="10" maxgroups="100000" maxkeep="3d">
<dns server="127.0.0.1" timeout="1">
<files motd="{motd}">
<log method="file" type="* -USERINPUT -USEROUTPUT -CONNECT -QUIT" level="default" target="{log}">
"""


class InspIRCdError(RuntimeError):
    pass


def _apt_env() -> dict[str, str]:
    return dict(os.environ, DEBIAN_FRONTEND="noninteractive")


def _daemon_pids() -> list[int]:
    """PIDs of inspircd processes not started by this module (the packaged service, if any)."""
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if cmdline and cmdline[0].endswith(b"inspircd") and b"--nopid" not in cmdline:
            pids.append(int(proc.name))
    return pids


def stop_packaged_service() -> None:
    """Stop the Debian service if the package started one (we run our own instance)."""
    pids = _daemon_pids()
    if not pids:
        return
    subprocess.run(["service", PACKAGE, "stop"], capture_output=True, check=False, timeout=30)
    deadline = time.monotonic() + 5
    while (pids := _daemon_pids()) and time.monotonic() < deadline:
        time.sleep(0.1)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def ensure_installed() -> str:
    """Install InspIRCd from Debian's packages when missing; return its version string.

    The install runs with a temporary `policy-rc.d` that forbids starting services, so the
    package's daemon never binds port 6667; should one run anyway, it is stopped.
    """
    if not Path(BINARY).exists():
        policy = Path("/usr/sbin/policy-rc.d")
        ours = not policy.exists()
        if ours:
            policy.write_text("#!/bin/sh\nexit 101\n")
            policy.chmod(0o755)
        try:
            install = ["apt-get", "install", "-y", "-q", PACKAGE]
            done = subprocess.run(install, env=_apt_env(), capture_output=True, check=False)
            if done.returncode != 0:
                subprocess.run(["apt-get", "update", "-q"], env=_apt_env(), capture_output=True, check=True)
                subprocess.run(install, env=_apt_env(), capture_output=True, check=True)
        finally:
            if ours:
                policy.unlink(missing_ok=True)
        if not Path(BINARY).exists():
            raise InspIRCdError(f"{PACKAGE} installed but {BINARY} is missing")
    stop_packaged_service()
    return version()


def version() -> str:
    out = subprocess.run([BINARY, "--version"], capture_output=True, text=True, check=False)
    return (out.stdout or out.stderr).strip()


def _raise_nofile() -> None:
    """Child side (preexec_fn, only without `prlimit`): soft file limit up to the hard limit."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def _command(config: Path, cpu: int | None) -> tuple[list[str], bool]:
    """The daemon's command line, and whether the file limit still has to be raised in preexec_fn.

    `prlimit` (util-linux) raises the soft RLIMIT_NOFILE to the hard one without running Python
    between fork and exec (callers may have threads); `taskset` pins the daemon to `cpu`.
    """
    cmd = [BINARY, "--nofork", "--nopid", "--runasroot", "--config", str(config)]
    if cpu is not None:
        cmd = ["taskset", "-c", str(cpu), *cmd]
    prlimit = shutil.which("prlimit")
    if prlimit is None:
        return cmd, True
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    limit = "unlimited" if hard == resource.RLIM_INFINITY else str(hard)
    return [prlimit, f"--nofile={limit}:{limit}", *cmd], False


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


_RUNNING: set[InspIRCd] = set()


@atexit.register
def _stop_all() -> None:
    """The daemon runs in its own session: make sure it does not outlive an interrupted bench.

    (Covers normal exit, exceptions and Ctrl-C; a SIGKILLed or SIGTERMed parent still leaves it
    running — find it with `pgrep -a -f 'inspircd --nofork --nopid'`.)
    """
    for server in list(_RUNNING):
        server.stop(grace=2.0)


class InspIRCd:
    """One InspIRCd process bound to 127.0.0.1:<port> (WebSocket only).

    `quiet_joins=True` loads the `auditorium` module and makes +u a default mode of new
    channels: members then see neither each other's joins nor the member list, which saves the
    O(N²) JOIN broadcast when filling a big room. Message delivery is unchanged.
    """

    def __init__(self, *, quiet_joins: bool = False, backlog: int = 4096, keep_dir: bool = False) -> None:
        self.quiet_joins = quiet_joins
        self.backlog = backlog
        self.keep_dir = keep_dir
        self.port = 0
        self.cpu: int | None = None
        self.dir: Path | None = None
        self.proc: subprocess.Popen[bytes] | None = None

    # --- properties ------------------------------------------------------------------------------
    @property
    def pid(self) -> int:
        if self.proc is None:
            raise InspIRCdError("not started")
        return self.proc.pid

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/"

    @property
    def config_path(self) -> Path:
        assert self.dir is not None
        return self.dir / "inspircd.conf"

    @property
    def log_path(self) -> Path:
        assert self.dir is not None
        return self.dir / "ircd.log"

    def config(self, port: int) -> str:
        assert self.dir is not None
        return CONFIG.format(
            port=port,
            max_clients=MAX_CLIENTS,
            recvq=1024 * 1024,
            hard_sendq=HARD_SENDQ,
            backlog=self.backlog,
            defaultmodes="ntu" if self.quiet_joins else "nt",
            extra_modules='<module name="auditorium">\n' if self.quiet_joins else "",
            motd=self.dir / "motd.txt",
            log=self.log_path,
        )

    # --- lifecycle -------------------------------------------------------------------------------
    def start(self, port: int, cpu: int | None = 0, timeout: float = 15.0) -> InspIRCd:
        """Write the config, run the daemon pinned to `cpu` (None: not pinned), wait for the port."""
        if self.proc is not None:
            raise InspIRCdError("already started")
        if not Path(BINARY).exists():
            raise InspIRCdError(f"{BINARY} missing: call ensure_installed() first")
        self.port, self.cpu = port, cpu
        self.dir = Path(tempfile.mkdtemp(prefix="inspircd-bench-"))
        (self.dir / "motd.txt").write_text("Causette benchmark peer.\n")
        self.config_path.write_text(self.config(port))
        cmd, in_child = _command(self.config_path, cpu)
        with open(self.dir / "stdout.log", "wb") as out:
            self.proc = subprocess.Popen(
                cmd,
                cwd=self.dir,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                preexec_fn=_raise_nofile if in_child else None,
                start_new_session=True,
            )
        _RUNNING.add(self)
        deadline = time.monotonic() + timeout
        while not _port_open(port):
            if self.proc.poll() is not None:
                rc, self.proc = self.proc.returncode, None
                _RUNNING.discard(self)
                raise InspIRCdError(f"inspircd exited with status {rc}:\n{self.output()}")
            if time.monotonic() > deadline:
                self.stop()
                raise InspIRCdError(f"inspircd did not listen on {port} within {timeout}s")
            time.sleep(0.05)
        return self

    def output(self) -> str:
        """What the daemon printed on stdout/stderr and in its log (for diagnostics)."""
        if self.dir is None:
            return ""
        parts = []
        for name in ("stdout.log", "ircd.log"):
            path = self.dir / name
            if path.exists():
                parts.append(path.read_text(errors="replace")[-4000:])
        return "\n".join(p for p in parts if p)

    def stop(self, grace: float = 5.0) -> None:
        """SIGTERM, then SIGKILL after `grace` seconds; removes the temporary directory."""
        proc, self.proc = self.proc, None
        _RUNNING.discard(self)
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(grace)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if self.dir is not None and not self.keep_dir:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def __enter__(self) -> InspIRCd:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # --- measurements ----------------------------------------------------------------------------
    def cpu_seconds(self) -> float:
        """User + system CPU time of the daemon so far (from /proc/PID/stat)."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_kb(self) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0

    def open_files_limit(self) -> int:
        """The daemon's soft RLIMIT_NOFILE (check that the raise took effect)."""
        return resource.prlimit(self.pid, resource.RLIMIT_NOFILE)[0]
