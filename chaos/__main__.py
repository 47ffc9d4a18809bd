"""`python -m chaos`: the same CLI as the `chaos` command, for users who also
have Chaos Toolkit installed (it ships a command named `chaos` too)."""

from chaos.cli import main

main()
