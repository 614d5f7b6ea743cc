"""The product's words (verdicts, choices, flag reasons, roles) are defined once, as the Literals
in `annotate.records`; every other list of them is keyed by or checked against those."""

import inspect

import pytest

from annotate.records import CHOICES, FLAG_REASONS, ROLES, VERDICTS


def test_every_flag_reason_has_a_label_and_a_plain_sentence_for_the_expert():
    from annotate.review.why import GENERIC, REASON_LABELS

    for shown in (REASON_LABELS, GENERIC):
        assert set(shown) == set(FLAG_REASONS)
        assert all(label.strip() for label in shown.values())


def test_every_flaggers_reason_is_a_flag_reason_and_every_reason_has_its_flagger():
    import annotate.flagging as flagging

    flaggers = (flagging.confidence, flagging.consistency, flagging.feedback, flagging.formats, flagging.pii,
                flagging.refusal, flagging.tool_calls)
    assert {module.REASON for module in flaggers} <= set(FLAG_REASONS)
    assert (*flagging.RECORD_FLAGGERS, flagging.GROUP_FLAGGER, flagging.MANUAL) == flagging.REASONS == FLAG_REASONS
    assert flagging.REASONS[-1] == flagging.MANUAL, "`flywheel flag --only` lists every reason but the last, manual"


def test_every_flag_reason_has_a_weight_in_the_config():
    from annotate.config import FlaggingWeights

    assert set(FlaggingWeights.model_fields) == set(FLAG_REASONS)


@pytest.mark.parametrize("labels, words", [
    ("annotate.ui.correction:VERDICTS", VERDICTS),
    ("annotate.labelstudio.configs:VERDICTS", VERDICTS),
    ("annotate.ui.preference:CHOICES", CHOICES),
    ("annotate.labelstudio.configs:PREFERENCE_CHOICES", CHOICES),
])  # fmt: skip
def test_every_verdict_and_choice_has_one_label_in_each_place_it_is_shown(labels, words):
    import importlib

    module, name = labels.split(":")
    shown = getattr(importlib.import_module(module), name)
    assert tuple(shown) == words, "the same words, in the same order (the radios and Label Studio show them so)"
    assert all(label.strip() for label in shown.values())


def test_every_role_is_one_of_the_roles_and_every_role_has_its_pages():
    from annotate.consensus.adjudication import ADJUDICATING_ROLES
    from annotate.review.annotators import MANAGING_ROLES
    from annotate.ui.access import PAGE_ROLES, PAGES_BY_ROLE, roles_for

    assert tuple(PAGES_BY_ROLE) == ROLES
    for roles in PAGE_ROLES.values():
        assert roles and set(roles) <= set(ROLES)
    assert set(ADJUDICATING_ROLES) <= set(ROLES) and set(MANAGING_ROLES) <= set(ROLES)
    assert roles_for("adjudicate") == ADJUDICATING_ROLES, "who may adjudicate is the domain's rule"
    assert roles_for("people") == MANAGING_ROLES, "who manages people is the domain's rule"


def test_every_page_in_the_table_is_shown_and_keeps_its_url():
    from annotate.ui.access import PAGE_ROLES
    from annotate.ui.pages import SHOWN

    assert set(SHOWN) == set(PAGE_ROLES)
    assert tuple(PAGE_ROLES) == ("correct", "compare", "history", "overview", "agreement", "adjudicate", "people", "export",
                            "models", "rounds")  # fmt: skip


def test_each_page_checks_the_roles_of_its_own_row_in_the_table():
    from annotate.ui.pages import SHOWN

    checked = []
    for name, (function, _title, _icon) in SHOWN.items():
        source = inspect.getsource(function)
        if "require_role(" in source:
            assert f'require_role(page="{name}")' in source, name
            checked.append(name)
    assert checked == ["overview", "agreement", "adjudicate", "people", "export", "models", "rounds"]
