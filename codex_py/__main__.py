from codex_py.cli import main

main()
