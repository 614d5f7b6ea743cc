"""Local accounts: argon2 passwords, sign-in, per-account lockout, deactivation and roles."""

from datetime import datetime, timedelta, timezone

import pytest

from annotate.errors import AnnotatorError, SignInError
from annotate.review.annotators import OPERATOR, add_annotator, deactivate, list_annotators, set_role
from annotate.review.auth import generate_password, set_password, sign_in
from annotate.store.migrations import migrations

EMAIL = "ana@example.com"
PASSWORD = "correct horse battery"
NOON = datetime(2026, 10, 3, 12, 0, tzinfo=timezone.utc)
LIMITS = {"max_failed": 3, "lockout_minutes": 15}


@pytest.fixture
def ana(store):
    return add_annotator(store, EMAIL, "annotator", "Ana", password=PASSWORD)


def fail(store, times: int, now: datetime = NOON) -> None:
    for _ in range(times):
        with pytest.raises(SignInError):
            sign_in(store, EMAIL, "not the password", **LIMITS, now=now)


def test_the_stored_hash_is_argon2_and_not_the_password(store, ana):
    stored = store.annotator_by_email(EMAIL)["password_hash"]
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored
    assert "password_hash" not in ana


def test_a_short_password_is_refused_clearly(store, ana):
    with pytest.raises(AnnotatorError, match="at least 8 characters"):
        set_password(store, EMAIL, "short")
    with pytest.raises(AnnotatorError, match="at least 8 characters"):
        add_annotator(store, "bo@example.com", password="short")
    assert store.annotator_by_email("bo@example.com") is None


def test_the_right_password_signs_in_and_records_when(store, ana):
    person = sign_in(store, f"  {EMAIL.upper()} ", PASSWORD, **LIMITS, now=NOON)
    assert person["email"] == EMAIL and person["role"] == "annotator"
    assert person["last_sign_in_at"] == "2026-10-03T12:00:00+00:00"
    assert "password_hash" not in person


@pytest.mark.parametrize("email, password", [(EMAIL, "wrong password"), ("nobody@example.com", PASSWORD)])
def test_a_wrong_password_and_an_unknown_email_get_the_same_message(store, ana, email, password):
    with pytest.raises(SignInError) as error:
        sign_in(store, email, password, **LIMITS, now=NOON)
    assert str(error.value) == "wrong email or password"


def test_an_account_without_a_password_gets_the_same_message(store):
    add_annotator(store, "bo@example.com")
    with pytest.raises(SignInError, match="^wrong email or password$"):
        sign_in(store, "bo@example.com", "", **LIMITS, now=NOON)


def test_n_failures_lock_the_account_even_against_the_right_password(store, ana):
    fail(store, 3)
    assert store.annotator_by_email(EMAIL)["failed_sign_ins"] == 3
    with pytest.raises(SignInError, match="too many failed sign-ins; try again in 15 minutes"):
        sign_in(store, EMAIL, PASSWORD, **LIMITS, now=NOON)
    with pytest.raises(SignInError, match="try again in 1 minute$"):
        sign_in(store, EMAIL, PASSWORD, **LIMITS, now=NOON + timedelta(minutes=14, seconds=30))


def test_the_lock_ends_after_the_lockout_time(store, ana):
    fail(store, 3)
    person = sign_in(store, EMAIL, PASSWORD, **LIMITS, now=NOON + timedelta(minutes=15))
    assert person["failed_sign_ins"] == 0 and person["locked_until"] is None


def test_one_more_failure_after_a_lock_ends_locks_again(store, ana):
    fail(store, 3)
    later = NOON + timedelta(minutes=16)
    fail(store, 1, now=later)
    with pytest.raises(SignInError, match="try again in 15 minutes"):
        sign_in(store, EMAIL, PASSWORD, **LIMITS, now=later)


def test_a_success_resets_the_count_of_failures(store, ana):
    fail(store, 2)
    sign_in(store, EMAIL, PASSWORD, **LIMITS, now=NOON)
    fail(store, 2)
    assert sign_in(store, EMAIL, PASSWORD, **LIMITS, now=NOON)["email"] == EMAIL


def test_failures_on_one_account_do_not_lock_another(store, ana):
    add_annotator(store, "bo@example.com", password=PASSWORD)
    fail(store, 3)
    assert sign_in(store, "bo@example.com", PASSWORD, **LIMITS, now=NOON)["email"] == "bo@example.com"


def test_a_new_password_clears_the_lockout(store, ana):
    fail(store, 3)
    set_password(store, EMAIL, "a brand new password")
    assert sign_in(store, EMAIL, "a brand new password", **LIMITS, now=NOON)["email"] == EMAIL
    with pytest.raises(SignInError, match="wrong email or password"):
        sign_in(store, EMAIL, PASSWORD, **LIMITS, now=NOON)


def test_a_deactivated_account_is_told_so_only_with_the_right_password(store, ana):
    deactivate(store, EMAIL, by=OPERATOR)
    with pytest.raises(SignInError, match="^wrong email or password$"):
        sign_in(store, EMAIL, "wrong password", **LIMITS, now=NOON)
    with pytest.raises(SignInError, match="this account has been deactivated; ask your lead"):
        sign_in(store, EMAIL, PASSWORD, **LIMITS, now=NOON)


def test_a_role_change_shows_at_the_next_sign_in(store, ana):
    set_role(store, EMAIL, "lead", by=OPERATOR)
    assert sign_in(store, EMAIL, PASSWORD, **LIMITS, now=NOON)["role"] == "lead"
    with pytest.raises(AnnotatorError, match="unknown role"):
        set_role(store, EMAIL, "boss", by=OPERATOR)


def test_changing_someone_unknown_says_so(store):
    for change in (lambda: deactivate(store, "x@example.com", by=OPERATOR),
                   lambda: set_role(store, "x@example.com", "lead", by=OPERATOR),
                   lambda: set_password(store, "x@example.com", PASSWORD)):  # fmt: skip
        with pytest.raises(AnnotatorError, match="x@example.com is not a registered annotator"):
            change()


def test_the_list_of_annotators_never_holds_hashes(store, ana):
    add_annotator(store, "bo@example.com", "lead")
    people = list_annotators(store)
    assert [person["email"] for person in people] == ["ana@example.com", "bo@example.com"]
    assert all("password_hash" not in person for person in people)


def test_generated_passwords_are_long_url_safe_and_different():
    passwords = {generate_password() for _ in range(20)}
    assert len(passwords) == 20
    assert all(len(password) >= 16 and password.replace("-", "").replace("_", "").isalnum() for password in passwords)


def test_an_older_database_gains_the_sign_in_columns(tmp_path):
    from sqlite_utils import Database

    from annotate.store import Store

    old = Database(tmp_path / "old.db")
    migrations.apply(old, stop_before="add_sign_in_columns")
    old["annotators"].insert({"email": EMAIL, "role": "lead", "created_at": "2026-01-01T00:00:00+00:00"})
    old.close()
    with Store(tmp_path / "old.db") as store:
        row = store.annotator_by_email(EMAIL)
        assert (row["failed_sign_ins"], row["locked_until"], row["last_sign_in_at"]) == (0, None, None)


def test_an_unknown_email_still_costs_one_password_check(store, ana, monkeypatch):
    import annotate.review.auth

    checked = []
    real_verify = annotate.review.auth._verify
    def counting_verify(stored: str, password: str) -> bool:
        checked.append(stored)
        return real_verify(stored, password)

    monkeypatch.setattr(annotate.review.auth, "_verify", counting_verify)
    with pytest.raises(SignInError):
        sign_in(store, "nobody@example.com", PASSWORD, **LIMITS, now=NOON)
    assert len(checked) == 1 and checked[0].startswith("$argon2id$")


def test_deactivating_an_expert_returns_the_slots_they_hold_at_once(store):
    from annotate.review.annotators import OPERATOR, add_annotator, deactivate, reactivate
    from annotate.review.claims import next_task
    from tests.conftest import make_tasks

    (task,) = make_tasks(store, 1)
    add_annotator(store, "gone@example.com")
    add_annotator(store, "next@example.com")
    assert next_task(store, "gone@example.com").task_id == task
    assert next_task(store, "next@example.com") is None
    deactivate(store, "gone@example.com", by=OPERATOR)
    assert store.task(task).active_claims == 0
    assert next_task(store, "next@example.com").task_id == task
    assert reactivate(store, "gone@example.com", by=OPERATOR)["active"] == 1


def test_the_last_active_admin_cannot_be_deactivated_or_demoted(store):
    from annotate.errors import AnnotatorError
    from annotate.review.annotators import OPERATOR, add_annotator, deactivate, set_role

    add_annotator(store, "root@example.com", role="admin")
    with pytest.raises(AnnotatorError, match="the last active admin"):
        deactivate(store, "root@example.com", by=OPERATOR)
    with pytest.raises(AnnotatorError, match="the last active admin"):
        set_role(store, "root@example.com", "lead", by=OPERATOR)
    add_annotator(store, "second@example.com", role="admin")
    assert set_role(store, "root@example.com", "lead", by=OPERATOR)["role"] == "lead"


def test_parallel_wrong_passwords_get_no_more_password_checks_than_the_limit(project, ana, monkeypatch):
    from concurrent.futures import ThreadPoolExecutor

    import annotate.review.auth as auth

    checked, real_verify = [], auth._verify
    monkeypatch.setattr(auth, "_verify", lambda stored, password: (checked.append(stored), real_verify(stored, password))[1])

    def attempt(_: int) -> str:
        with project.open_store() as own:  # one connection per thread, as the app's sessions have
            try:
                sign_in(own, EMAIL, "wrong password!", max_failed=5, lockout_minutes=15)
            except SignInError as refused:
                return str(refused)
        return "signed in"

    with ThreadPoolExecutor(8) as pool:
        said = list(pool.map(attempt, range(40)))
    real = [stored for stored in checked if stored != auth._dummy_hash()]
    assert len(real) <= 5, f"{len(real)} attempts were checked against the hash"
    assert said.count("wrong email or password") == len(real) and "signed in" not in said
    assert sum("too many failed sign-ins" in line for line in said) == 40 - len(real)


def test_a_huge_lockout_or_lease_is_refused_by_the_config_not_overflowed_later():
    from annotate.config import parse_config
    from annotate.errors import ConfigError

    for section, key in (("app", "lockout_minutes"), ("overlap", "lease_minutes")):
        with pytest.raises(ConfigError, match=key):
            parse_config(f"[{section}]\n{key} = 9223372036854775807\n")
