import pytest

from annotate.config import ProjectConfig, default_config_text, load_config, parse_config
from annotate.errors import ConfigError, ProjectError
from annotate.project import find_project, init_project


def test_the_commented_default_config_says_exactly_the_models_defaults():
    written = parse_config(default_config_text("demo")).model_dump()
    expected = ProjectConfig().model_dump()
    expected["project"]["name"] = "demo"
    assert written == expected


def test_init_creates_config_guidelines_database_and_the_first_round(tmp_path):
    project = init_project(tmp_path / "p")
    assert project.config_path.read_text().startswith("# Flywheel project config")
    assert (project.root / "guidelines.md").is_file()
    assert project.config.project.name == "p"
    with project.open_store() as store:
        assert store.open_round()["name"] == "round-1"


def test_init_refuses_an_existing_project(project):
    with pytest.raises(ProjectError, match="already exists"):
        init_project(project.root)


def test_db_option_and_environment_override_the_database_path(project, tmp_path, monkeypatch):
    assert find_project(project.root).db_path == project.root / "flywheel.db"
    monkeypatch.setenv("FLYWHEEL_DB", str(tmp_path / "env.db"))
    assert find_project(project.root).db_path == tmp_path / "env.db"
    assert find_project(project.root, tmp_path / "flag.db").db_path == tmp_path / "flag.db"


def test_the_project_is_found_from_a_subfolder(project, monkeypatch):
    sub = project.root / "logs" / "october"
    sub.mkdir(parents=True)
    monkeypatch.chdir(sub)
    monkeypatch.delenv("FLYWHEEL_PROJECT", raising=False)
    assert find_project().root == project.root


def test_no_project_anywhere_says_how_to_make_one(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FLYWHEEL_PROJECT", raising=False)
    with pytest.raises(ProjectError, match="flywheel init"):
        find_project()


def test_an_unknown_key_is_named_with_its_line(tmp_path):
    path = tmp_path / "flywheel.toml"
    path.write_text("[project]\nname = 'x'\n\n[overlap]\nannotations_per_task = 2\ngold_rat = 0.1\n")
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert f"{path}:6: overlap.gold_rat: unknown key" in str(error.value)


def test_a_bad_value_is_named_with_its_key_and_reason(tmp_path):
    path = tmp_path / "flywheel.toml"
    path.write_text("[overlap]\ngold_rate = 1.5\n")
    with pytest.raises(ConfigError, match=r"flywheel.toml:2: overlap.gold_rate: Input should be less than or equal to 1"):
        load_config(path)


def test_a_bad_validator_names_the_validator_and_field():
    text = '[[validators]]\nname = "triage"\nkind = "regex"\npattern = "("\n'
    with pytest.raises(ConfigError, match=r"validators.0.pattern: .*not a valid regular expression"):
        parse_config(text)


def test_duplicate_failure_categories_are_refused():
    text = '[[taxonomy.failure_categories]]\nid = "a"\nlabel = "A"\n[[taxonomy.failure_categories]]\nid = "a"\nlabel = "B"\n'
    with pytest.raises(ConfigError, match="taxonomy.failure_categories: .*unique"):
        parse_config(text)


def test_broken_toml_is_reported_as_such():
    with pytest.raises(ConfigError, match="not valid TOML"):
        parse_config("[overlap\n")
