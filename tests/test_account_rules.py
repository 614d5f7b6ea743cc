"""Who may change whose account: the rules of `annotate.review.annotators`, with the acting person
as an argument, which the Annotators page and `flywheel users` both call."""

import pytest

from annotate.errors import AnnotatorError, NotAllowed
from annotate.records import ROLES
from annotate.review.annotators import (
    MANAGING_ROLES,
    ONLY_AN_ADMIN,
    OPERATOR,
    add_annotator,
    deactivate,
    grantable_roles,
    reactivate,
    reset_password,
    set_role,
)
from annotate.review.auth import sign_in

ANN, LEA, ENG, ROOT, ROOT2 = "ann@x.test", "lea@x.test", "eng@x.test", "root@x.test", "root2@x.test"
PASSWORD = "correct horse battery"


@pytest.fixture
def team(store):
    for email, role in ((ANN, "annotator"), (LEA, "lead"), (ENG, "engineer"), (ROOT, "admin"), (ROOT2, "admin")):
        add_annotator(store, email, role, password=PASSWORD)
    return store


def role_of(store, email: str) -> str:
    return store.annotator_by_email(email)["role"]


def test_a_lead_cannot_grant_the_admin_role(team):
    with pytest.raises(NotAllowed, match=ONLY_AN_ADMIN):
        set_role(team, ANN, "admin", by=LEA)
    with pytest.raises(NotAllowed, match=ONLY_AN_ADMIN):
        add_annotator(team, "new@x.test", "admin", by=LEA)
    assert role_of(team, ANN) == "annotator" and team.annotator_by_email("new@x.test") is None


def test_a_lead_cannot_change_an_admins_account_in_any_way(team):
    changes = (lambda: set_role(team, ROOT, "lead", by=LEA), lambda: deactivate(team, ROOT, by=LEA),
               lambda: reactivate(team, ROOT, by=LEA), lambda: reset_password(team, ROOT, "a new password", by=LEA))  # fmt: skip
    for change in changes:
        with pytest.raises(NotAllowed, match=ONLY_AN_ADMIN):
            change()
    person = team.annotator_by_email(ROOT)
    assert (person["role"], person["active"]) == ("admin", 1)
    assert sign_in(team, ROOT, PASSWORD, max_failed=5, lockout_minutes=15)["email"] == ROOT


def test_a_lead_manages_everyone_but_admins(team):
    assert set_role(team, ANN, "engineer", by=LEA)["role"] == "engineer"
    assert deactivate(team, ENG, by=LEA)["active"] == 0
    assert reactivate(team, ENG, by=LEA)["active"] == 1
    assert add_annotator(team, "new@x.test", "lead", by=LEA)["role"] == "lead"
    reset_password(team, ANN, "another good one", by=LEA)
    assert sign_in(team, ANN, "another good one", max_failed=5, lockout_minutes=15)["email"] == ANN


def test_an_admin_grants_the_admin_role_and_changes_another_admin(team):
    assert set_role(team, LEA, "admin", by=ROOT)["role"] == "admin"
    assert add_annotator(team, "new@x.test", "admin", by=ROOT)["role"] == "admin"
    assert deactivate(team, ROOT2, by=ROOT)["active"] == 0
    assert reactivate(team, ROOT2, by=ROOT)["active"] == 1


def test_nobody_can_deactivate_their_own_account(team):
    for email in (LEA, ROOT):
        with pytest.raises(NotAllowed, match="You cannot deactivate your own account"):
            deactivate(team, email.upper(), by=email)
        assert team.annotator_by_email(email)["active"] == 1


def test_only_leads_and_admins_change_accounts(team):
    for email in (ANN, ENG):
        with pytest.raises(NotAllowed, match="only leads and admins manage people's accounts"):
            set_role(team, LEA, "annotator", by=email)
        with pytest.raises(NotAllowed, match="only leads and admins"):
            add_annotator(team, "new@x.test", by=email)
    assert role_of(team, LEA) == "lead"


def test_someone_unknown_or_deactivated_cannot_act(team):
    with pytest.raises(AnnotatorError, match="cannot act as nobody@x.test: not a registered annotator"):
        deactivate(team, ANN, by="nobody@x.test")
    deactivate(team, LEA, by=ROOT)
    with pytest.raises(AnnotatorError, match=f"cannot act as {LEA}: the account has been deactivated"):
        reactivate(team, LEA, by=LEA)
    assert team.annotator_by_email(ANN)["active"] == 1


def test_nobody_can_demote_or_deactivate_the_last_admin_not_even_the_operator(store):
    add_annotator(store, ROOT, "admin")
    for by in (ROOT, OPERATOR):
        with pytest.raises(AnnotatorError, match="the last active admin"):
            set_role(store, ROOT, "lead", by=by)
    with pytest.raises(AnnotatorError, match="the last active admin"):
        deactivate(store, ROOT, by=OPERATOR)
    assert role_of(store, ROOT) == "admin" and store.annotator_by_email(ROOT)["active"] == 1


def test_the_operator_has_an_admins_rights_and_is_nobodys_account(team):
    assert set_role(team, ANN, "admin", by=OPERATOR)["role"] == "admin"
    assert deactivate(team, ROOT, by=OPERATOR)["active"] == 0
    assert reactivate(team, ROOT, by=OPERATOR)["active"] == 1


def test_an_unknown_role_is_refused_whoever_acts(team):
    for by in (ROOT, OPERATOR):
        with pytest.raises(AnnotatorError, match="unknown role 'boss'"):
            set_role(team, ANN, "boss", by=by)


def test_what_each_role_may_grant_comes_from_the_one_list_of_roles():
    assert grantable_roles("admin") == ROLES
    assert grantable_roles("lead") == tuple(role for role in ROLES if role != "admin")
    assert grantable_roles("annotator") == grantable_roles("engineer") == ()
    assert set(MANAGING_ROLES) <= set(ROLES)
