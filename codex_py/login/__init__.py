"""Login: ChatGPT and Anthropic-account OAuth (PKCE), API keys, the credential store, refresh.

Public entry points (see docs/login.md): ``resolve.resolve_provider_auth`` / ``has_credentials``,
``chatgpt.login_chatgpt``, ``claude.login_claude``, ``apikey.save_api_key``,
``status.login_statuses`` / ``logout``. Import the submodule you need; nothing heavy loads here.
"""
