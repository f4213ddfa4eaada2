"""Devices, operating systems, browsers and app versions ("iPhone 13", "app version 5.2.1").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from guardrail.handoff.details.model import Device
from guardrail.handoff.details.text import Found, Names, Scan, alt, fold, matches, non_overlapping
from guardrail.handoff.details.vocab import DeviceKind, DeviceSpec

__all__ = ["Devices", "compile_devices", "find_devices"]

_VERSION_GRAMMAR = {
    "number": r"\d{1,3}(?:\.\d{1,4}){0,3}",
    "model": (
        r"(?:[a-z]{0,2}\d{1,4}[a-z]?|se|xr|xs|x)"
        r"(?:\s(?:pro\s+max|pro|max|plus|mini|ultra|lite|fe|xl))?"
    ),
}
_APP_VERSION = re.compile(
    r"(?i:\b(?:(?:app|application)\s+(?:version|ver\.?|v)\s*|version\s+|(?<![\w/.])v)"
    r"\d{1,3}(?:\.\d{1,4}){1,3}(?![\w]|\.\d))"
)


@dataclass(frozen=True, slots=True, eq=False)
class _DevicePattern:
    pattern: re.Pattern[str]
    spellings: dict[str, str]  # folded name or alias -> the spelling the vocabulary gives it
    kind: DeviceKind


@dataclass(frozen=True, slots=True)
class Devices:
    # One scan for any device name picks the few per-device patterns worth running.
    names: Names
    by_name: dict[str, tuple[_DevicePattern, ...]]


def _device_pattern(spec: DeviceSpec) -> _DevicePattern:
    names = [spec.name, *spec.aliases]
    bare = {
        "always": f"(?i:{alt(names)})",
        "cased": alt([spec.name]) + (f"|(?i:{alt(spec.aliases)})" if spec.aliases else ""),
        "never": f"(?i:{alt(spec.aliases)})" if spec.aliases else "(?!)",
    }[spec.bare]
    forms = [f"(?P<b>{bare})"]
    grammar = [_VERSION_GRAMMAR[spec.version]] if spec.version != "none" else []
    grammar += [alt(spec.versions)] if spec.versions else []
    if grammar:
        forms.insert(0, rf"(?P<n>(?i:{alt(names)}))\s?(?P<v>(?i:{'|'.join(grammar)}))")
    pattern = re.compile(rf"(?<![\w.])(?:{'|'.join(forms)})(?!\w)")
    return _DevicePattern(pattern, {fold(n): n for n in names}, spec.kind)


def compile_devices(specs: Sequence[DeviceSpec]) -> Devices:
    by_name: dict[str, list[_DevicePattern]] = {}
    for spec in specs:
        compiled = _device_pattern(spec)
        for name in compiled.spellings:
            by_name.setdefault(name, []).append(compiled)
    every = [n for spec in specs for n in (spec.name, *spec.aliases)]
    names = Names.of(every, r"(?<![\w.])(?i:{})")
    return Devices(names, {k: tuple(v) for k, v in by_name.items()})


def find_devices(scan: Scan, devices: Devices) -> list[Found]:
    candidates: list[tuple[int, int, Device]] = []
    seen = (devices.by_name[fold(m.group())] for m in matches(devices.names, scan.plain))
    for named in dict.fromkeys(p for patterns in seen for p in patterns):
        for m in matches(named.pattern, scan.plain):
            groups = m.groupdict()
            value = named.spellings[fold(groups.get("n") or groups["b"])]
            if groups.get("v"):
                value = f"{value} {' '.join(groups['v'].split())}"
            candidates.append((m.start(), m.end(), Device(
                message=scan.index, kind=named.kind, value=value)))
    for m in matches(_APP_VERSION, scan.plain):
        candidates.append((m.start(), m.end(), Device(
            message=scan.index, kind="app", value=" ".join(m.group().split()))))
    found = []
    for start, end, item in non_overlapping(candidates):
        if scan.free(start, end):
            scan.claim(start, end)
            found.append(Found(start, ("device", fold(item.value)), item))
    return found
