from __future__ import annotations

from pathlib import Path

import pytest

from complaint_desk.config import LLMSettings, Settings, get_settings


def test_defaults_live_in_the_data_dir(isolated_env: Path) -> None:
    settings = get_settings()
    assert settings.data_dir == isolated_env
    assert settings.resolved_database_url == f"sqlite:///{isolated_env / 'complaint_desk.db'}"
    assert settings.llm.backend == "transformers"
    assert settings.llm.model == "Qwen/Qwen2.5-1.5B-Instruct"
    assert settings.triage.backend == "default"


def test_precedence_code_over_env_over_toml_over_default(
    isolated_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    toml = tmp_path / "desk.toml"
    toml.write_text(
        '[llm]\nbackend = "openai"\nmodel = "from-toml"\ntemperature = 0.9\n'
        "[policy]\nmax_compensation_without_approval = 50\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("COMPLAINT_DESK_CONFIG", str(toml))
    from_toml = Settings()
    assert (from_toml.llm.backend, from_toml.llm.model, from_toml.llm.temperature) == ("openai", "from-toml", 0.9)
    assert from_toml.policy.max_compensation_without_approval == 50
    assert from_toml.llm.max_new_tokens == LLMSettings().max_new_tokens  # untouched default

    monkeypatch.setenv("COMPLAINT_DESK_LLM__MODEL", "from-env")
    from_env = Settings()
    assert from_env.llm.model == "from-env"
    assert from_env.llm.backend == "openai"  # env overrides only what it names

    explicit = Settings(llm={"backend": "composer", "model": "from-code"})
    assert (explicit.llm.backend, explicit.llm.model) == ("composer", "from-code")


def test_toml_in_the_data_dir_is_picked_up(isolated_env: Path) -> None:
    isolated_env.mkdir(parents=True)
    (isolated_env / "config.toml").write_text('industry = "banking"\n[ui]\nport = 9001\n', encoding="utf-8")
    settings = Settings()
    assert settings.industry == "banking"
    assert settings.ui.port == 9001


def test_missing_explicit_config_file_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("COMPLAINT_DESK_CONFIG", str(tmp_path / "nope.toml"))
    with pytest.raises(FileNotFoundError, match="配置文件不存在"):
        Settings()
