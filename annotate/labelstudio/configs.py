"""Label Studio labeling configs for Flywheel's two task kinds, generated from the project taxonomy.

Every choice carries the Flywheel id as its `alias`, which is what Label Studio stores in a
result, and the human label as its `value`, which is what the expert sees; so a relabelled
category keeps its id. `CONTROLS` names each control a result may hold, its Label Studio type
and, for choices, the answer field it fills: `annotate.labelstudio.payloads` reads results through it.
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import quoteattr

from annotate.config import Taxonomy
from annotate.records import Choice, Verdict

# Keyed by annotate.records.VERDICTS and CHOICES, every one and in their order.
VERDICTS: dict[Verdict, str] = {
    "acceptable": "Acceptable as is", "corrected": "Corrected (edit the response above)", "unusable": "Unusable",
}
PREFERENCE_CHOICES: dict[Choice, str] = {
    "a": "A is better", "b": "B is better", "tie": "Tie: equally good", "both_bad": "Both are bad",
}


@dataclass(frozen=True)
class Control:
    name: str
    type: str  # Label Studio result type: "textarea" or "choices"
    required: bool = False
    multiple: bool = False


CONTROLS = {
    "correction": (
        Control("correction", "textarea"),
        Control("verdict", "choices", required=True),
        Control("failure_categories", "choices", multiple=True),
        Control("severity", "choices"),
        Control("rationale", "textarea"),
    ),
    "preference": (
        Control("choice", "choices", required=True),
        Control("failure_categories", "choices", multiple=True),
        Control("severity", "choices"),
        Control("better_response", "textarea"),
        Control("rationale", "textarea"),
    ),
}


def labeling_config(kind: str, taxonomy: Taxonomy) -> str:
    """The labeling config (XML) for a `correction` or `preference` project."""
    if kind == "correction":
        return _correction(taxonomy)
    if kind == "preference":
        return _preference(taxonomy)
    raise ValueError(f"unknown task kind {kind!r}")


def choice_aliases(kind: str, control: str, taxonomy: Taxonomy) -> set[str]:
    """The aliases (Flywheel ids) a choices control of this kind offers."""
    return {alias for alias, _label, _hint in _choices(kind, control, taxonomy)}


def _choices(kind: str, control: str, taxonomy: Taxonomy) -> list[tuple[str, str, str]]:
    if control == "verdict":
        return [(alias, label, "") for alias, label in VERDICTS.items()]
    if control == "choice":
        return [(alias, label, "") for alias, label in PREFERENCE_CHOICES.items()]
    if control == "failure_categories":
        return [(category.id, category.label, category.description) for category in taxonomy.failure_categories]
    if control == "severity":
        return [(level, level.capitalize(), "") for level in taxonomy.severity]
    raise ValueError(f"{kind} has no choices control {control!r}")


def _choices_xml(kind: str, control: Control, to_name: str, taxonomy: Taxonomy, **extra: str) -> str:
    attributes = {
        "name": control.name, "toName": to_name, "choice": "multiple" if control.multiple else "single-radio",
        "showInline": "true" if control.name in ("verdict", "choice", "severity") else "false",
        **({"required": "true"} if control.required else {}), **extra,
    }  # fmt: skip
    options = "\n".join(
        f"      <Choice value={quoteattr(label)} alias={quoteattr(alias)}" + (f" hint={quoteattr(hint)}" if hint else "") + "/>"
        for alias, label, hint in _choices(kind, control.name, taxonomy)
    )
    return f"    <Choices {_attributes(attributes)}>\n{options}\n    </Choices>"


def _attributes(attributes: dict[str, str]) -> str:
    return " ".join(f"{key}={quoteattr(value)}" for key, value in attributes.items())


_CONVERSATION = """    <Header value="Conversation (up to the model's turn)" size="5"/>
    <Paragraphs name="conversation" value="$messages" layout="dialogue" nameKey="role" textKey="content"/>"""


def _correction(taxonomy: Taxonomy) -> str:
    controls = {control.name: control for control in CONTROLS["correction"]}
    return "\n".join([
        "<View>",
        _CONVERSATION,
        '    <Header value="Model response" size="5"/>',
        '    <Text name="response" value="$response"/>',
        '    <Header value="Your version: edit the pre-filled response if it needs correcting (a tool call is a '
        'tool_call block holding a tool offered above and its arguments as JSON)" size="5"/>',
        '    <TextArea name="correction" toName="response" editable="true" maxSubmissions="1" rows="8" '
        'placeholder="The corrected response"/>',
        '    <Header value="Verdict" size="5"/>',
        _choices_xml("correction", controls["verdict"], "response", taxonomy),
        _judgement("correction", "response", "What went wrong (any that apply)", taxonomy),
        "</View>",
    ])  # fmt: skip


def _preference(taxonomy: Taxonomy) -> str:
    controls = {control.name: control for control in CONTROLS["preference"]}
    return "\n".join([
        "<View>",
        _CONVERSATION,
        '    <Header value="Response A" size="5"/>',
        '    <Text name="response_a" value="$response_a"/>',
        '    <Header value="Response B" size="5"/>',
        '    <Text name="response_b" value="$response_b"/>',
        '    <Header value="Which is better?" size="5"/>',
        _choices_xml("preference", controls["choice"], "response_a", taxonomy),
        '    <Header value="A better response (optional, e.g. when both are bad)" size="5"/>',
        '    <TextArea name="better_response" toName="response_a" maxSubmissions="1" rows="5"/>',
        _judgement("preference", "response_a", "What is wrong with the worse one (any that apply)", taxonomy),
        "</View>",
    ])  # fmt: skip


def _judgement(kind: str, to_name: str, categories_header: str, taxonomy: Taxonomy) -> str:
    """The controls both kinds end with: failure categories, severity, rationale."""
    controls = {control.name: control for control in CONTROLS[kind]}
    return "\n".join([
        f'    <Header value="{categories_header}" size="5"/>',
        _choices_xml(kind, controls["failure_categories"], to_name, taxonomy),
        '    <Header value="Severity" size="5"/>',
        _choices_xml(kind, controls["severity"], to_name, taxonomy),
        '    <Header value="Rationale" size="5"/>',
        f'    <TextArea name="rationale" toName="{to_name}" maxSubmissions="1" rows="3" placeholder="Why (optional)"/>',
    ])  # fmt: skip
