"""The validated rule base cache: a hit gives the same rule base, anything changed or damaged misses."""

from __future__ import annotations

import dataclasses
import json
import shutil

import pytest
import yaml

from advisor.knowledge import cache, load_rulebase


@pytest.fixture
def cache_folder(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv(cache.CACHE_ENV, str(folder))
    return folder


def _snapshot(rulebase):
    """Everything a rule base holds, as comparable data (types and conditions included)."""

    def norm(value):
        if isinstance(value, dict):
            return {k: norm(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [norm(v) for v in value]
        if hasattr(value, "model_dump"):
            return type(value).__name__, value.model_dump(mode="json"), repr(value)
        return value

    return {f.name: norm(getattr(rulebase, f.name)) for f in dataclasses.fields(rulebase) if f.name != "documents"}


def test_a_cached_rule_base_equals_a_validated_one(rules_copy, cache_folder):
    fresh = load_rulebase(rules_copy, use_cache=False)
    first = load_rulebase(rules_copy)  # validates and writes the entry
    entries = list(cache_folder.glob("rulebase-*.json"))
    assert len(entries) == 1
    json.loads(entries[0].read_text(encoding="utf-8"))  # plain JSON, nothing executable
    hit = load_rulebase(rules_copy)
    assert _snapshot(hit) == _snapshot(fresh) == _snapshot(first)
    # The node trees for locating findings are read on demand and point into the files.
    assert hit.locate_rule(hit.decision.rules[0].id).line == fresh.locate_rule(fresh.decision.rules[0].id).line
    assert sorted(hit.documents) == sorted(fresh.documents)


def test_an_edited_rule_file_is_read_again(rules_copy, cache_folder):
    load_rulebase(rules_copy)
    ruleset = rules_copy / "ruleset.yaml"
    data = yaml.safe_load(ruleset.read_text(encoding="utf-8"))
    ruleset.write_text(yaml.safe_dump({**data, "version": "9.9.9"}), encoding="utf-8")
    assert load_rulebase(rules_copy).version == "9.9.9"
    assert len(list(cache_folder.glob("rulebase-*.json"))) == 2


def test_an_invalid_edit_is_reported_even_after_a_cached_load(rules_copy, cache_folder):
    from advisor.errors import RuleBaseError

    load_rulebase(rules_copy)
    (rules_copy / "outcomes.yaml").write_text("outcomes:\n  - id: rag\n    colour: red\n", encoding="utf-8")
    with pytest.raises(RuleBaseError) as caught:
        load_rulebase(rules_copy)
    assert any("outcomes.yaml:3" in str(p) for p in caught.value.problems)


@pytest.mark.parametrize("damage", ["", "{not json", '{"format": 1, "key": "other", "files": {}}',
                                    '{"format": 1, "key": "KEY", "files": {"ruleset.yaml": {"name": 3}}}'])
def test_a_damaged_entry_is_ignored_and_rebuilt(rules_copy, cache_folder, damage):
    fresh = _snapshot(load_rulebase(rules_copy))
    (entry,) = cache_folder.glob("rulebase-*.json")
    key = entry.name.removeprefix("rulebase-").removesuffix(".json")
    entry.write_text(damage.replace("KEY", key), encoding="utf-8")
    assert _snapshot(load_rulebase(rules_copy)) == fresh
    assert json.loads(entry.read_text(encoding="utf-8"))["key"] == key  # written again


def test_an_unwritable_cache_folder_is_skipped(rules_copy, tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv(cache.CACHE_ENV, str(blocker / "cache"))
    assert load_rulebase(rules_copy).version
    assert load_rulebase(rules_copy).version


def test_an_empty_setting_turns_the_cache_off(rules_copy, tmp_path, monkeypatch):
    monkeypatch.setenv(cache.CACHE_ENV, "")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    load_rulebase(rules_copy)
    assert not (tmp_path / "xdg").exists()


def test_the_cache_folder_follows_xdg(tmp_path, monkeypatch):
    monkeypatch.delenv(cache.CACHE_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache.cache_dir() == tmp_path / "xdg" / "advisor"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache.cache_dir() == tmp_path / "home" / ".cache" / "advisor"


def test_the_key_covers_version_and_schema_source(tmp_path, monkeypatch):
    import advisor

    key = cache.cache_key("abc")
    assert cache.cache_key("abd") != key
    monkeypatch.setattr(advisor, "__version__", "99.0")
    assert cache.cache_key("abc") != key
    monkeypatch.undo()
    copy = tmp_path / "knowledge"
    shutil.copytree(cache._HERE, copy)
    monkeypatch.setattr(cache, "_HERE", copy)
    assert cache.cache_key("abc") == key
    models = copy / "models.py"
    models.write_text(models.read_text(encoding="utf-8") + "\n# a new field\n", encoding="utf-8")
    assert cache.cache_key("abc") != key


def test_what_would_not_read_back_exactly_is_not_cached(rules_copy, cache_folder):
    # `assume` takes any YAML value; a date would come back from JSON as text, so nothing is stored.
    questions = rules_copy / "questions.yaml"
    data = yaml.safe_load(questions.read_text(encoding="utf-8"))
    target = next(q for q in data["questions"] if q.get("unsure"))
    target["unsure"]["assume"] = "DATE"
    questions.write_text(yaml.safe_dump(data).replace("'DATE'", "2026-01-02").replace("DATE", "2026-01-02"),
                         encoding="utf-8")
    first = load_rulebase(rules_copy)
    assert str(first.questions[target["id"]].unsure.assume) == "2026-01-02"
    assert not list(cache_folder.glob("rulebase-*.json"))
    assert _snapshot(load_rulebase(rules_copy)) == _snapshot(first)


def test_no_home_folder_means_no_cache(rules_copy, monkeypatch):
    from pathlib import Path

    def nowhere():
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.delenv(cache.CACHE_ENV, raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setattr(Path, "home", staticmethod(nowhere))
    assert cache.cache_dir() is None
    assert load_rulebase(rules_copy).version
