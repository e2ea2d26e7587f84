"""Built-in model providers (the contract's list)."""

from __future__ import annotations

from typing import Any

BUILTIN_PROVIDERS: dict[str, dict[str, Any]] = {
    "openai": {
        "name": "OpenAI",
        "base_url": "https://api.openai.com/v1",
        "wire_api": "responses",
        "env_key": "OPENAI_API_KEY",
        "auth": "openai",
        "default_model": "gpt-5.1-codex",
        "env_http_headers": {
            "OpenAI-Organization": "OPENAI_ORGANIZATION",
            "OpenAI-Project": "OPENAI_PROJECT",
        },
    },
    "anthropic": {
        "name": "Anthropic",
        "base_url": "https://api.anthropic.com/v1",
        "wire_api": "messages",
        "env_key": "ANTHROPIC_API_KEY",
        "auth": "anthropic",
        "default_model": "claude-sonnet-4-5",
    },
    "ollama": {
        "name": "Ollama",
        "base_url": "http://localhost:11434/v1",
        "wire_api": "chat",
        "default_model": "gpt-oss:20b",
    },
    "lmstudio": {
        "name": "LM Studio",
        "base_url": "http://localhost:1234/v1",
        "wire_api": "chat",
        "default_model": "openai/gpt-oss-20b",
    },
    "openrouter": {
        "name": "OpenRouter",
        "base_url": "https://openrouter.ai/api/v1",
        "wire_api": "chat",
        "env_key": "OPENROUTER_API_KEY",
        "default_model": "anthropic/claude-sonnet-4.5",
    },
}
