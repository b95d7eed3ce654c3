"""Toybox-style option parsing for device commands: ``-la`` bundles, ``-n 5`` / ``-n5``, ``--`` and ``-N``.

Commands parse their own argv (as toybox does) so their error text matches a device; a bad option is
``NAME: Unknown option 'x'`` and status 1.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class UsageError(Exception):
    """Bad command line; the message follows ``NAME: `` on stderr."""


@dataclass
class Options:
    flags: set[str] = field(default_factory=set)
    values: dict[str, list[str]] = field(default_factory=dict)
    operands: list[str] = field(default_factory=list)

    def __contains__(self, flag: str) -> bool:
        return flag in self.flags

    def value(self, name: str, default: str | None = None) -> str | None:
        values = self.values.get(name)
        return values[-1] if values else default

    def all(self, name: str) -> list[str]:
        return self.values.get(name, [])


def parse(args: list[str], flags: str = "", with_value: str = "", *, numeric: str = "",
          stop_at_operand: bool = False) -> Options:
    """Parse ``args``. ``flags`` take no value, ``with_value`` take one; ``numeric`` names the option a
    bare ``-N`` stands for (``head -5`` is ``head -n 5``). Long options pass through as operands."""
    opts = Options()
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if arg == "--":
            opts.operands.extend(args[i:])
            break
        if not arg.startswith("-") or arg == "-" or arg.startswith("--"):
            opts.operands.append(arg)
            if stop_at_operand:
                opts.operands.extend(args[i:])
                break
            continue
        if numeric and arg[1:].isdigit():
            opts.values.setdefault(numeric, []).append(arg[1:])
            continue
        j = 1
        while j < len(arg):
            c = arg[j]
            if c in with_value:
                value = arg[j + 1:]
                if not value:
                    if i >= len(args):
                        raise UsageError(f"Missing argument to -{c}")
                    value = args[i]
                    i += 1
                opts.values.setdefault(c, []).append(value)
                break
            if c not in flags:
                raise UsageError(f"Unknown option '{c}'")
            opts.flags.add(c)
            j += 1
    return opts
