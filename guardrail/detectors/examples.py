"""Every rule proves it can match: each rule run on its own ``examples`` and ``counterexamples``.

Part of ``guardrail validate --strict`` and of the test suite, not of loading: on the shipped
registry it costs about a second, ten times the budget of a load that happens at every start.
It lives with the detectors because it reads each example the way the engine reads a message.
"""

from __future__ import annotations

from guardrail.conversation import Message
from guardrail.detectors.rules import RuleDetector
from guardrail.errors import RegistryError, RegistryIssue
from guardrail.registry import Registry

__all__ = ["check_examples", "require_examples"]


def check_examples(registry: Registry) -> list[RegistryIssue]:
    """Every rule run on its own ``examples`` (each must make it fire) and ``counterexamples``
    (none may), the way the engine reads a message: the registry's normaliser, the rule
    detector with its negation, question and hypothetical handling, and ``unless`` patterns.

    Each message is scanned alone, as the rule's first role, with every rule of the registry
    (so an example proves the rule fires among all the others, as in a real turn). The
    language gate (``settings.languages.rule_gate``) is not applied: it belongs to the
    engine's language reading, not to the rule.

    Returns:
        One problem per example that does not fire its rule or counterexample that does,
        with the rule's file, its YAML path and its id.
    """
    detector = RuleDetector(registry)
    issues: list[RegistryIssue] = []
    for rule in registry.rules:
        spec = rule.spec
        file, i = registry.rule_origins.get(spec.id, (registry.source, -1))
        for field_name, wanted in (("examples", True), ("counterexamples", False)):
            for j, text in enumerate(getattr(spec, field_name)):
                findings = detector.scan(0, Message(role=spec.roles[0], content=text)).findings
                fired = any(finding.rule_id == spec.id for finding in findings)
                if fired is not wanted:
                    what = ("does not fire on its example" if wanted
                            else "fires on its counterexample")
                    issues.append(RegistryIssue(file, f"rules[{i}].{field_name}[{j}]",
                                                f"rule {spec.id!r} {what} {text!r}"))
    return issues


def require_examples(registry: Registry) -> None:
    """`check_examples`, raising.

    Raises:
        RegistryError: naming each example that misses, with file, YAML path and rule id.
    """
    issues = check_examples(registry)
    if issues:
        raise RegistryError(issues)
