"""junit.xml for CI: one testcase per scenario run (policy arm), and one per gate.

Two suites: ``guardrail eval runs`` (classname: the scenario file, name: the run id; a failure
lists every expectation that did not hold) and ``guardrail eval gates``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from guardrail.evals.report import EvalReport

__all__ = ["junit_xml"]


def _suite(parent: ET.Element, name: str, tests: int, failures: int, **extra: str) -> ET.Element:
    return ET.SubElement(parent, "testsuite", {
        "name": name, "tests": str(tests), "failures": str(failures), "errors": "0",
        "skipped": "0", **extra})


def _classname(file: str) -> str:
    stem = file.rsplit(".", 1)[0] if file.endswith((".yaml", ".yml")) else file
    return stem.replace("/", ".").replace("\\", ".") or "scenarios"


def junit_xml(results: EvalReport) -> str:
    """The JUnit XML text for an eval report."""
    root = ET.Element("testsuites", name="guardrail eval",
                      tests=str(results.runs_total + len(results.gates)),
                      failures=str(sum(not r.passed for r in results.runs)
                                   + sum(not g.passed for g in results.gates)),
                      time=f"{results.duration_s:.3f}")
    runs = _suite(root, "guardrail eval runs", results.runs_total,
                  results.runs_total - results.runs_passed,
                  timestamp=results.started_at, time=f"{results.duration_s:.3f}")
    props = ET.SubElement(runs, "properties")
    ET.SubElement(props, "property", name="policy_version", value=results.policy_version)
    ET.SubElement(props, "property", name="registry", value=results.registry)
    for run in results.runs:
        case = ET.SubElement(runs, "testcase", classname=_classname(run.file),
                             name=run.id, time="0")
        if run.failures:
            lines = [f"turn {f.turn}: {f.check}: expected {f.expected!r}, got {f.actual!r}"
                     for f in run.failures]
            failure = ET.SubElement(case, "failure", message=lines[0], type="expectation")
            failure.text = "\n".join(lines)
    gates = _suite(root, "guardrail eval gates", len(results.gates),
                   sum(not g.passed for g in results.gates))
    for gate in results.gates:
        case = ET.SubElement(gates, "testcase", classname="gates", name=gate.name, time="0")
        if not gate.passed:
            message = (f"{gate.arm} {gate.metric} = {gate.value} violates "
                       f"{gate.op} {gate.threshold}")
            failure = ET.SubElement(case, "failure", message=message, type="gate")
            failure.text = message + "\n" + "\n".join(gate.scenarios)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
