"""``wmpf-hil lab check LAB.toml [--doctor]`` and ``wmpf-hil lab plan LAB.toml --shards N [--group K --command]``.

``check`` validates the lab inventory (:mod:`harness.config.lab_file`): the file's tables, that every app profile
loads and every caller profile exists; with ``--doctor`` it also runs ``wmpf-hil doctor``'s checklist on the devices
of a host (``--host``, default every host; ``--adb-port`` the host's adb server) and on the host's phones with their
caller profiles, through :func:`doctor_hook`. ``plan`` prints which host runs which pytest-split group: groups
go to hosts in proportion to their devices (one xdist worker per device), and ``--group K --command`` prints the
exact pytest command of group K for the CI job that runs it. Exit status: 0 valid, 2 invalid, 3 a device check
found the lab broken.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

from harness.cli.doctor import checklist
from harness.config.app_profile import APPS_DIR, load_profile
from harness.config.caller_profile import load_caller_profile
from harness.config.lab_file import HostEntry, LabFile, load_lab, resolve_profile
from harness.config.locations import FIXTURES_DIR
from harness.errors import ConfigError

CALLERS_DIR = FIXTURES_DIR / "callers"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("lab", help="validate a lab inventory (LAB.toml) and print its shard plan",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    check = actions.add_parser("check", help="validate the lab file (and, with --doctor, this host's devices)")
    check.add_argument("lab_file", metavar="LAB.toml")
    check.add_argument("--doctor", action="store_true", help="also run the device checks on this host's devices")
    check.add_argument("--host", default=None, help="the host whose devices --doctor checks (default: all hosts)")
    check.add_argument("--adb-port", type=int, default=None, metavar="PORT",
                       help="--doctor: the adb server of this host (default $ANDROID_ADB_SERVER_PORT or 5037)")
    check.set_defaults(func=run_check)
    plan = actions.add_parser("plan", help="print which host runs which pytest-split group")
    plan.add_argument("lab_file", metavar="LAB.toml")
    plan.add_argument("--shards", type=int, required=True, metavar="N", help="number of pytest-split groups")
    plan.add_argument("--group", type=int, default=None, metavar="K", help="only group K (1..N)")
    plan.add_argument("--command", action="store_true", help="print group K's pytest command (needs --group)")
    plan.add_argument("--json", action="store_true", help="the plan as JSON (a CI matrix can read it)")
    plan.add_argument("--run-dir", default="reports/shard-{group}", metavar="DIR",
                      help="each shard's run directory in the printed command ({group} is replaced)")
    plan.set_defaults(func=run_plan)


def _load(path: str) -> LabFile | None:
    try:
        return load_lab(path)
    except ConfigError as exc:
        print(f"wmpf-hil lab: {exc}", file=sys.stderr)
        return None


def profile_problems(lab: LabFile, path: Path, notes: list[str] | None = None) -> list[str]:
    """App profiles that do not load and caller profiles that do not exist, one line each. A caller profile
    given by name cannot be checked by a wmpf-hil that ships none (``fixtures/callers/``): that goes to
    ``notes``."""
    problems: list[str] = []
    checked: set[Path] = set()
    for i, host in enumerate(lab.hosts):
        for j, device in enumerate(host.devices):
            name = lab.app_profile_of(host, device)
            target = resolve_profile(name, path, APPS_DIR)
            if target in checked:
                continue
            checked.add(target)
            try:
                load_profile(str(target))
            except ConfigError as exc:
                problems.append(f"{path}: hosts[{i}].devices[{j}]: app profile {name!r}: {exc}")
        for j, phone in enumerate(host.phones):
            target = resolve_profile(phone.caller_profile, path, CALLERS_DIR)
            if target.parent == CALLERS_DIR and not CALLERS_DIR.is_dir():
                if notes is not None:
                    notes.append(f"hosts[{i}].phones[{j}].caller_profile {phone.caller_profile!r} not checked: this "
                                 f"wmpf-hil ships no caller profiles (fixtures/callers/)")
            elif not target.is_file():
                problems.append(f"{path}: hosts[{i}].phones[{j}].caller_profile: no caller profile at {target}")
            elif target not in checked:
                checked.add(target)
                try:
                    load_caller_profile(target)
                except ConfigError as exc:
                    problems.append(f"{path}: hosts[{i}].phones[{j}]: caller profile {phone.caller_profile!r}: {exc}")
    return problems


def doctor_hook(host: HostEntry, serial: str, app_profile: str, lab_path: Path,
                adb_port: int) -> tuple[bool, list[str]]:
    """``wmpf-hil doctor``'s checklist (:func:`harness.cli.doctor.checklist`) for one device of ``host``: the
    device, the host's phone API when it has one, and each of the host's phones with its caller profile (the
    Mini Program's selectors checked on the phone). Profiles named in the lab file resolve as ``check`` does."""
    profile = str(resolve_profile(app_profile, lab_path, APPS_DIR))
    callers = [(phone.serial, str(resolve_profile(phone.caller_profile, lab_path, CALLERS_DIR)))
               for phone in host.phones]
    try:
        return checklist(serial, adb_port, profile, phone_url=host.phone_url, callers=callers)
    except ConfigError as exc:
        return False, [f"[MISS] profile: {exc}"]


def run_check(args: argparse.Namespace) -> int:
    path = Path(args.lab_file)
    lab = _load(args.lab_file)
    if lab is None:
        return 2
    notes: list[str] = []
    problems = profile_problems(lab, path, notes)
    for line in notes:
        print(f"note: {line}", file=sys.stderr)
    for line in problems:
        print(f"wmpf-hil lab: {line}", file=sys.stderr)
    if problems:
        return 2
    devices = sum(len(h.devices) for h in lab.hosts)
    phones = sum(len(h.phones) for h in lab.hosts)
    print(f"{path}: lab {lab.lab.name}: {len(lab.hosts)} host(s), {devices} device(s), {phones} phone(s): valid")
    if not args.doctor:
        return 0
    broken = False
    adb_port = args.adb_port or int(os.environ.get("ANDROID_ADB_SERVER_PORT", "5037"))
    for host in lab.hosts:
        if args.host and host.name != args.host:
            continue
        for device in host.devices:
            ok, lines = doctor_hook(host, device.serial, lab.app_profile_of(host, device), path, adb_port)
            broken |= not ok
            print(f"doctor {host.name} {device.serial}: {'ok' if ok else 'BROKEN'}")
            for line in lines:
                print(f"  {line}")
    return 3 if broken else 0


@dataclass
class Shard:
    group: int
    splits: int
    host: HostEntry

    def command(self, lab: LabFile, run_dir: str) -> list[str]:
        """The pytest command of this shard on its host: pytest-split picks the group, xdist one device per
        worker (the file-lock lease), the labels go on every record."""
        directory = run_dir.format(group=self.group)
        cmd = ["python", "-m", "pytest", lab.lab.scenarios, "-p", "no:cacheprovider",
               "--splits", str(self.splits), "--group", str(self.group), "--splitting-algorithm", "least_duration",
               "--durations-path", f"{directory}/test_durations.json", "--store-durations", "--clean-durations",
               "--run-dir", directory, "--shard-label", f"{self.group}/{self.splits}", "--host-label", self.host.name,
               "--history", "none"]
        profiles = {lab.app_profile_of(self.host, d) for d in self.host.devices}
        cmd += ["--app-profile", sorted(profiles)[0]]
        for device in self.host.devices:
            cmd += ["--serial", device.serial]
        for phone in self.host.phones:  # the phone-app caller: the host's phones running WeChat
            cmd += ["--caller-serial", phone.serial]
        if self.host.phones:
            cmd += ["--caller-profile", self.host.phones[0].caller_profile]
        if self.host.phone_url:
            cmd += ["--phone-url", self.host.phone_url]
        if len(self.host.devices) > 1:
            cmd += ["-n", str(len(self.host.devices)), "--dist", "loadscope"]
        return cmd


def plan(lab: LabFile, shards: int) -> list[Shard]:
    """Groups to hosts in proportion to devices: each group goes to the host with the fewest groups per device."""
    assigned = {h.name: 0 for h in lab.hosts}
    out = []
    for group in range(1, shards + 1):
        host = min(lab.hosts, key=lambda h: ((assigned[h.name] + 1) / len(h.devices), -len(h.devices)))
        assigned[host.name] += 1
        out.append(Shard(group, shards, host))
    return out


def run_plan(args: argparse.Namespace) -> int:
    lab = _load(args.lab_file)
    if lab is None:
        return 2
    if args.shards < 1 or (args.group is not None and not 1 <= args.group <= args.shards):
        print(f"wmpf-hil lab: --shards must be >= 1 and --group within 1..{args.shards}", file=sys.stderr)
        return 2
    shards = [s for s in plan(lab, args.shards) if args.group is None or s.group == args.group]
    if args.command:
        if args.group is None:
            print("wmpf-hil lab: --command needs --group", file=sys.stderr)
            return 2
        print(shlex.join(shards[0].command(lab, args.run_dir)))
        return 0
    if args.json:
        print(json.dumps([{"group": s.group, "splits": s.splits, "host": s.host.name,
                           "runner_labels": s.host.runner_labels, "devices": [d.serial for d in s.host.devices]}
                          for s in shards], indent=2))
        return 0
    idle = [h.name for h in lab.hosts if h.name not in {s.host.name for s in shards}]
    print(f"lab {lab.lab.name}: {args.shards} group(s) over {len(lab.hosts)} host(s)")
    for s in shards:
        labels = ", ".join(s.host.runner_labels) or "-"
        devices = ", ".join(f"{d.serial} ({d.model})" for d in s.host.devices)
        print(f"  group {s.group}/{s.splits}: host {s.host.name} [runner labels: {labels}]: {devices}")
    if idle and args.group is None:
        print(f"  idle (more hosts than groups): {', '.join(idle)}")
    return 0
