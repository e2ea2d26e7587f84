"""Config layering and error reporting."""

from __future__ import annotations

from pathlib import Path

import pytest

from codex_py.config import CliOverrides, ConfigError, load_config, parse_override


def write_config(home: Path, text: str) -> Path:
    path = home / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_a_config_file(isolated_home: Path) -> None:
    config = load_config()
    assert config.model_provider == "openai"
    assert config.model == config.provider.default_model != ""
    assert set(config.model_providers) >= {"openai", "anthropic", "ollama", "lmstudio", "openrouter"}
    assert config.model_providers["anthropic"].wire_api == "messages"
    assert config.model_providers["ollama"].base_url == "http://localhost:11434/v1"
    assert config.config_file is None


def test_layers_in_order(isolated_home: Path) -> None:
    write_config(
        isolated_home,
        """
model = "file-model"
approval_policy = "untrusted"
sandbox_mode = "read-only"
profile = "fast"
[profiles.fast]
model = "profile-model"
model_reasoning_effort = "low"
[profiles.slow]
model = "slow-model"
""",
    )
    assert load_config().model == "profile-model"
    assert load_config(CliOverrides(profile="slow")).model == "slow-model"
    # -c beats the profile; flags beat -c
    assert load_config(CliOverrides(config=["model=cli-model"])).model == "cli-model"
    config = load_config(CliOverrides(config=["model=cli-model"], model="flag-model", sandbox="danger-full-access"))
    assert config.model == "flag-model"
    assert config.sandbox_mode == "danger-full-access"
    assert config.approval_policy == "untrusted"
    assert config.model_reasoning_effort == "low"


def test_env_base_urls(isolated_home: Path) -> None:
    env = {
        "CODEX_PY_HOME": str(isolated_home),
        "OPENAI_BASE_URL": "http://127.0.0.1:9/v1/",
        "ANTHROPIC_BASE_URL": "http://127.0.0.1:8",
    }
    config = load_config(env=env)
    assert config.model_providers["openai"].base_url == "http://127.0.0.1:9/v1"
    assert config.model_providers["anthropic"].base_url == "http://127.0.0.1:8/v1"


def test_user_provider_merges_with_builtins(isolated_home: Path) -> None:
    write_config(
        isolated_home,
        """
model_provider = "local"
model = "qwen"
[model_providers.local]
name = "Local vLLM"
base_url = "http://127.0.0.1:8000/v1"
wire_api = "chat"
http_headers = { "X-Extra" = "v" }
stream_max_retries = 1
[model_providers.openai]
request_max_retries = 9
""",
    )
    config = load_config()
    assert config.provider.id == "local"
    assert config.provider.http_headers == {"X-Extra": "v"}
    assert config.provider.stream_max_retries == 1
    assert config.model_providers["openai"].request_max_retries == 9
    assert config.model_providers["openai"].base_url == "https://api.openai.com/v1"


def test_full_auto_differs_between_tui_and_exec(isolated_home: Path) -> None:
    tui = load_config(CliOverrides(full_auto=True, mode="tui"))
    exe = load_config(CliOverrides(full_auto=True, mode="exec"))
    assert (tui.sandbox_mode, tui.approval_policy) == ("workspace-write", "on-request")
    assert (exe.sandbox_mode, exe.approval_policy) == ("workspace-write", "never")


@pytest.mark.parametrize(
    ("raw", "parts", "value"),
    [
        ("model=o3", ["model"], "o3"),
        ('model="o3"', ["model"], "o3"),
        ("sandbox_workspace_write.network_access=true", ["sandbox_workspace_write", "network_access"], True),
        ('model_providers.x.http_headers={a="b"}', ["model_providers", "x", "http_headers"], {"a": "b"}),
        ("tui.transcript_line_budget=10", ["tui", "transcript_line_budget"], 10),
        ("instructions=it's fine", ["instructions"], "it's fine"),
    ],
)
def test_parse_override(raw: str, parts: list[str], value: object) -> None:
    assert parse_override(raw) == (parts, value)


def test_bad_override_syntax() -> None:
    with pytest.raises(ConfigError, match="expected key=value"):
        parse_override("model")


def test_invalid_toml_names_file_and_line(isolated_home: Path) -> None:
    path = write_config(isolated_home, 'model = "a"\napproval_policy = \n')
    with pytest.raises(ConfigError) as info:
        load_config()
    assert str(path) in str(info.value)
    assert "line 2" in str(info.value)


def test_unknown_key_suggests_closest(isolated_home: Path) -> None:
    write_config(isolated_home, 'modle = "x"\n')
    with pytest.raises(ConfigError, match=r"unknown key modle \(did you mean 'model'\?\)"):
        load_config()


def test_unknown_nested_key(isolated_home: Path) -> None:
    write_config(isolated_home, "[model_providers.local]\nbase_url='http://x'\nwire_apii='chat'\n")
    with pytest.raises(ConfigError, match=r"model_providers.local.wire_apii \(did you mean 'wire_api'\?\)"):
        load_config()


def test_wrong_type(isolated_home: Path) -> None:
    write_config(isolated_home, 'max_tool_iterations = "many"\n')
    with pytest.raises(ConfigError, match="max_tool_iterations must be an integer"):
        load_config()


def test_wrong_literal(isolated_home: Path) -> None:
    with pytest.raises(ConfigError, match="sandbox_mode must be one of") as info:
        load_config(CliOverrides(sandbox="workspace_write"))
    assert "did you mean 'workspace-write'" in str(info.value)
    assert (
        info.value.hint == "fix the value given to --sandbox: use one of read-only, workspace-write, danger-full-access"
    )


def test_errors_name_where_the_bad_value_came_from(isolated_home: Path) -> None:
    """A bad value is blamed on its own layer (flag, -c, profile, file), never on config.toml by default."""
    path = write_config(
        isolated_home, 'model = "m"\n[profiles.fast]\nmodle = "x"\n[model_providers.local]\nbase_url = 7\n'
    )
    cases = {
        "--reasoning-effort: model_reasoning_effort must be one of": CliOverrides(reasoning_effort="huge"),
        "-c approval_policy=sometimes: approval_policy must be one of": CliOverrides(
            config=["approval_policy=sometimes"]
        ),
        "-c tui.transcript_line_budget=many: tui.transcript_line_budget must be an integer": CliOverrides(
            config=["tui.transcript_line_budget=many"]
        ),
        f"{path} [profiles.fast]: unknown key modle (did you mean 'model'?)": CliOverrides(profile="fast"),
        f"{path}: model_providers.local.base_url must be a string, got 7": CliOverrides(),
    }
    for message, cli in cases.items():
        if "local" not in message:
            cli.config.append("model_providers.local.base_url='http://127.0.0.1:1'")
        with pytest.raises(ConfigError) as info:
            load_config(cli)
        assert str(info.value).startswith(message), (message, str(info.value))
        assert info.value.hint
    with pytest.raises(ConfigError) as info:
        load_config(CliOverrides(config=["model_providers.local.base_url='x'", "tui.theme=1"]))
    assert info.value.hint == "fix the value given to -c"


def test_unknown_provider(isolated_home: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(CliOverrides(provider="antropic"))
    assert "did you mean 'anthropic'" in str(info.value)
    assert "known providers" in info.value.hint


def test_unknown_profile(isolated_home: Path) -> None:
    write_config(isolated_home, "[profiles.fast]\nmodel='x'\n")
    with pytest.raises(ConfigError, match="unknown profile 'fsat'"):
        load_config(CliOverrides(profile="fsat"))


def test_home_must_be_a_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bad = tmp_path / "file"
    bad.write_text("")
    monkeypatch.setenv("CODEX_PY_HOME", str(bad))
    with pytest.raises(ConfigError, match="not a directory"):
        load_config()


def test_config_reference_is_in_sync() -> None:
    """docs/config.md is generated from the field docstrings; regenerate it when they change."""
    from codex_py.config.docgen import render

    docs = Path(__file__).resolve().parent.parent / "docs" / "config.md"
    assert docs.read_text(encoding="utf-8").strip() == render().strip(), (
        "run: python -m codex_py.config.docgen > docs/config.md"
    )
