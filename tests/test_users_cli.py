"""`flywheel users`: add, list, deactivate, reset-password and role, through the real command."""

import pytest
from typer.testing import CliRunner

import annotate.cli.users
from annotate.cli import app
from annotate.errors import SignInError
from annotate.review.auth import sign_in

PASSWORD = "correct horse battery"
LIMITS = {"max_failed": 5, "lockout_minutes": 15}


@pytest.fixture
def users(project):
    """Run `flywheel --project P --quiet users ARGS...` with `input` on stdin."""
    runner = CliRunner()

    def run(*args: str, input: str | None = None):
        return runner.invoke(app, ["--project", str(project.root), "--quiet", "users", *args], input=input,
                             env={"COLUMNS": "200"}, catch_exceptions=False)  # fmt: skip

    return run


def signs_in(project, email: str, password: str) -> bool:
    with project.open_store() as store:
        try:
            sign_in(store, email, password, **LIMITS)
        except SignInError:
            return False
    return True


def test_add_reads_the_password_from_stdin(users, project):
    result = users("add", "ana@example.com", "--role", "lead", "--name", "Ana", "--password-stdin",
                   input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert "Added ana@example.com as lead" in result.output
    assert PASSWORD not in result.output
    assert signs_in(project, "ana@example.com", PASSWORD)


def test_add_prompts_twice_for_a_hidden_password_on_a_terminal(users, project, monkeypatch):
    monkeypatch.setattr(annotate.cli.users, "stdin_is_terminal", lambda: True)
    result = users("add", "ana@example.com", "--role", "annotator", input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "Repeat for confirmation" in result.output
    assert PASSWORD not in result.output
    assert signs_in(project, "ana@example.com", PASSWORD)


def test_add_without_a_terminal_or_a_password_option_says_what_to_pass(users):
    result = users("add", "ana@example.com", "--role", "annotator", input="")
    assert result.exit_code == 1
    assert "pass --password-stdin or --generate" in result.output


def test_a_generated_password_is_printed_once_and_works(users, project):
    result = users("add", "ana@example.com", "--role", "annotator", "--generate")
    assert result.exit_code == 0, result.output
    password = result.output.split("Password: ")[1].split()[0]
    assert len(password) >= 16 and result.output.count(password) == 1
    assert signs_in(project, "ana@example.com", password)


def test_list_shows_people_and_never_hashes(users):
    users("add", "ana@example.com", "--role", "lead", "--name", "Ana Silva", "--password-stdin", input=PASSWORD)
    users("add", "bo@example.com", "--role", "engineer", "--generate")
    result = users("list")
    assert result.exit_code == 0, result.output
    for text in ("ana@example.com", "Ana Silva", "lead", "bo@example.com", "engineer", "never"):
        assert text in result.output
    assert "argon2" not in result.output


def test_list_shows_a_sign_in_and_a_lockout(users, project):
    users("add", "ana@example.com", "--role", "lead", "--password-stdin", input=PASSWORD)
    users("add", "bo@example.com", "--role", "annotator", "--password-stdin", input=PASSWORD)
    assert signs_in(project, "ana@example.com", PASSWORD)
    for _ in range(LIMITS["max_failed"]):
        assert not signs_in(project, "bo@example.com", "wrong password")
    output = users("list").output
    ana_line = next(line for line in output.splitlines() if "ana@example.com" in line)
    bo_line = next(line for line in output.splitlines() if "bo@example.com" in line)
    assert "never" not in ana_line
    assert "locked until" in bo_line


def test_reset_password_replaces_the_password_and_clears_a_lockout(users, project):
    users("add", "ana@example.com", "--role", "annotator", "--password-stdin", input=PASSWORD)
    for _ in range(LIMITS["max_failed"]):
        assert not signs_in(project, "ana@example.com", "wrong password")
    assert not signs_in(project, "ana@example.com", PASSWORD)  # locked
    result = users("reset-password", "ana@example.com", "--password-stdin", input="another good one\n")
    assert result.exit_code == 0, result.output
    assert "lockout is cleared" in result.output
    assert signs_in(project, "ana@example.com", "another good one")
    assert not signs_in(project, "ana@example.com", PASSWORD)


def test_reset_password_can_generate_one(users, project):
    users("add", "ana@example.com", "--role", "annotator", "--password-stdin", input=PASSWORD)
    result = users("reset-password", "ana@example.com", "--generate")
    assert result.exit_code == 0, result.output
    assert signs_in(project, "ana@example.com", result.output.split("Password: ")[1].split()[0])


def test_deactivate_stops_sign_in(users, project):
    users("add", "ana@example.com", "--role", "annotator", "--password-stdin", input=PASSWORD)
    result = users("deactivate", "ana@example.com")
    assert result.exit_code == 0, result.output
    assert "Deactivated ana@example.com" in result.output
    assert not signs_in(project, "ana@example.com", PASSWORD)
    assert " no " in next(line for line in users("list").output.splitlines() if "ana@example.com" in line)
    again = users("reactivate", "ana@example.com")
    assert again.exit_code == 0 and "Reactivated ana@example.com" in again.output
    assert signs_in(project, "ana@example.com", PASSWORD)


def test_role_changes_the_role(users, project):
    users("add", "ana@example.com", "--role", "annotator", "--password-stdin", input=PASSWORD)
    result = users("role", "ana@example.com", "admin")
    assert result.exit_code == 0, result.output
    assert "ana@example.com is now admin" in result.output
    with project.open_store() as store:
        assert store.annotator_by_email("ana@example.com")["role"] == "admin"


@pytest.mark.parametrize("args, input, message", [
    (["add", "ana@example.com", "--role", "boss", "--generate"], None, "unknown role 'boss'"),
    (["add", "not-an-email", "--role", "lead", "--generate"], None, "is not an email address"),
    (["add", "ana@example.com", "--role", "lead", "--password-stdin"], "short\n", "at least 8 characters"),
    (["add", "ana@example.com", "--role", "lead", "--password-stdin", "--generate"], PASSWORD, "choose one of"),
    (["deactivate", "nobody@example.com"], None, "nobody@example.com is not a registered annotator"),
    (["reset-password", "nobody@example.com", "--generate"], None, "is not a registered annotator"),
    (["role", "nobody@example.com", "lead"], None, "is not a registered annotator"),
])  # fmt: skip
def test_mistakes_are_one_line_and_exit_1(users, args, input, message):
    result = users(*args, input=input)
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output


def test_adding_someone_twice_is_refused(users):
    users("add", "ana@example.com", "--role", "lead", "--generate")
    result = users("add", "ANA@example.com", "--role", "lead", "--generate")
    assert result.exit_code == 1
    assert "already registered" in result.output


def test_add_if_missing_leaves_an_existing_account_alone(project):
    from typer.testing import CliRunner

    from annotate.cli import app
    from annotate.review.auth import sign_in

    runner = CliRunner()
    args = ["--project", str(project.root), "users", "add", "demo@example.com", "--role", "lead", "--password-stdin", "--if-missing"]
    assert runner.invoke(app, args, input="first-password\n").exit_code == 0
    again = runner.invoke(app, args, input="other-password\n")
    assert again.exit_code == 0 and "already registered" in again.output
    with project.open_store() as store:
        assert sign_in(store, "demo@example.com", "first-password", max_failed=5, lockout_minutes=15)["role"] == "lead"


# --- the same rules as the app: --as names who acts -----------------------------------------------


@pytest.fixture
def team(users):
    """An annotator, a lead and an admin, added by the machine's operator (no --as)."""
    for email, role in (("ann@x.test", "annotator"), ("lea@x.test", "lead"), ("root@x.test", "admin")):
        assert users("add", email, "--role", role, "--password-stdin", input=PASSWORD).exit_code == 0
    return users


def role_of(project, email: str) -> str:
    with project.open_store() as store:
        return store.annotator_by_email(email)["role"]


def refused(result, message: str) -> bool:
    return result.exit_code == 1 and message in result.output and "Traceback" not in result.output


def test_a_lead_cannot_grant_the_admin_role_from_the_command_line(team, project):
    assert refused(team("role", "ann@x.test", "admin", "--as", "lea@x.test"), "Only an admin can")
    assert refused(team("add", "new@x.test", "--role", "admin", "--generate", "--as", "lea@x.test"), "Only an admin")
    assert role_of(project, "ann@x.test") == "annotator"
    result = team("role", "ann@x.test", "engineer", "--as", "lea@x.test")
    assert result.exit_code == 0 and "ann@x.test is now engineer" in result.output


def test_a_lead_cannot_change_an_admins_account_from_the_command_line(team, project):
    for args in (["role", "root@x.test", "lead"], ["deactivate", "root@x.test"], ["reactivate", "root@x.test"],
                 ["reset-password", "root@x.test", "--generate"]):  # fmt: skip
        assert refused(team(*args, "--as", "lea@x.test"), "Only an admin can change an admin's account")
    assert role_of(project, "root@x.test") == "admin"
    assert signs_in(project, "root@x.test", PASSWORD)


def test_an_admin_named_with_as_may_do_what_a_lead_may_not(team, project):
    assert team("role", "ann@x.test", "admin", "--as", "root@x.test").exit_code == 0
    assert team("deactivate", "ann@x.test", "--as", "root@x.test").exit_code == 0
    assert not signs_in(project, "ann@x.test", PASSWORD)


def test_nobody_can_deactivate_themselves_from_the_command_line(team, project):
    assert refused(team("deactivate", "lea@x.test", "--as", "lea@x.test"), "You cannot deactivate your own account")
    assert signs_in(project, "lea@x.test", PASSWORD)


def test_an_annotator_or_someone_unknown_cannot_act_from_the_command_line(team, project):
    assert refused(team("role", "lea@x.test", "annotator", "--as", "ann@x.test"), "only leads and admins")
    assert refused(team("deactivate", "ann@x.test", "--as", "nobody@x.test"), "cannot act as nobody@x.test")
    assert role_of(project, "lea@x.test") == "lead" and signs_in(project, "ann@x.test", PASSWORD)


def test_nobody_can_deactivate_the_last_admin_from_the_app_or_the_command_line(team, project, env):
    from tests.conftest import run_page

    assert refused(team("deactivate", "root@x.test"), "the last active admin")
    assert refused(team("role", "root@x.test", "lead"), "the last active admin")
    app = run_page("annotate.ui.people.people_page", "root@x.test", role="admin")
    app.selectbox(key="people-person").set_value("root@x.test").run()
    app.button(key="people-deactivate").click().run()
    assert "You cannot deactivate your own account" in app.error[0].value
    app.selectbox(key="people-role-root@x.test").set_value("lead")
    app.button(key="people-set-role").click().run()
    assert "the last active admin" in app.error[0].value
    assert role_of(project, "root@x.test") == "admin" and signs_in(project, "root@x.test", PASSWORD)


def test_a_refused_password_reset_says_so_before_asking_for_the_password(team, project):
    # No password option and no terminal: asking for the password first would fail on that instead.
    result = team("reset-password", "root@x.test", "--as", "lea@x.test")
    assert refused(result, "Only an admin can change an admin's account")
    assert "stdin is not a terminal" not in result.output
    assert signs_in(project, "root@x.test", PASSWORD)
