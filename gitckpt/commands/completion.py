"""`git ckpt completion`: a shell completion script for `git ckpt`, generated from the argparse
definitions by shtab and wrapped so git's own completion finds it (git's bash completion calls
`_git_ckpt` for `git ckpt …`; zsh's calls `_git-ckpt`; fish's asks `git-ckpt`'s completions).
Artifact names and release references come from the registry at completion time, through the
hidden `--names` and `--references` options."""

from __future__ import annotations

import argparse
from collections.abc import Iterator

from gitckpt.arguments import Subcommands, subparser
from gitckpt.errors import EXIT_OK, GitckptError, UsageError
from gitckpt.inventory import load_inventory
from gitckpt.repo import Repository, find_repository
from gitckpt.tag_refs import read_tag_names
from gitckpt.tags import REGISTER, parse_tag_name

COMPLETION_EPILOG = """\
Prints a completion script for bash, zsh or fish. It completes commands, options, artifact
names and release references (NAME@vX.Y.Z), reading the registry of the repository you are in.
In bash it plugs into git's own completion, so `git ckpt pro<TAB>` completes to `promote`.

Examples:
  eval "$(git ckpt completion bash)"          # in ~/.bashrc
  git ckpt completion bash > ~/.local/share/bash-completion/completions/git-ckpt
  git ckpt completion zsh > ~/.zfunc/_git-ckpt  # a directory on $fpath
  git ckpt completion fish | source             # in ~/.config/fish/config.fish
"""

SHELLS = ("bash", "zsh", "fish")
PROGRAM = "git-ckpt"  # the name shtab completes; git runs `git ckpt` as this program
NAME_ARGUMENTS = frozenset({"name", "names"})  # positionals that take an artifact's name
REFERENCE_ARGUMENTS = frozenset({"reference"})  # ... or a release reference too

# Names come from the repository the line points at: git's completion runs git there through
# `__git` (it passes `git -C dir` and --git-dir on); without git's completion, from here.
BASH_PREAMBLE = """\
_git_ckpt_registry() {
  if declare -F __git >/dev/null; then __git ckpt completion "$1"
  else git ckpt completion "$1" 2>/dev/null; fi
}
_git_ckpt_names() { compgen -W "$(_git_ckpt_registry --names)" -- "$1"; }
_git_ckpt_references() { compgen -W "$(_git_ckpt_registry --references)" -- "$1"; }
"""

BASH_GIT_ENTRY = r"""
# git's bash completion calls _git_<command> for `git <command>`; the programs git-ckpt and
# gitckpt come here too. bash splits words at `@`, `:` and `=` (COMP_WORDBREAKS): they are put
# back together for shtab (`clf@v0.1.0` is one word), and an offer loses what is typed up to the
# last such break, which bash keeps. git registers -o nospace, so a finished word gets its
# space here, as git's own __gitcomp gives it.
_git_ckpt() {
  local cur words cword prev start=1
  if declare -F _get_comp_words_by_ref >/dev/null; then
    _get_comp_words_by_ref -n =:@ cur words cword prev
  else
    words=("${COMP_WORDS[@]}") cword=$COMP_CWORD cur=${COMP_WORDS[COMP_CWORD]}
  fi
  case ${words[0]##*/} in
    git-ckpt|gitckpt) start=0 ;;
    *) while ((start < cword)) && [[ ${words[start]} != ckpt ]]; do ((start++)); done ;;
  esac
  local COMP_WORDS=(git-ckpt "${words[@]:start+1}") COMP_CWORD=$((cword - start))
  _shtab_git_ckpt
  local i typed="" breaks=${COMP_WORDBREAKS//[^=:@]/}
  [[ -n $breaks && $cur == *["$breaks"]* ]] && typed=${cur%"${cur##*["$breaks"]}"}
  for i in "${!COMPREPLY[@]}"; do
    [[ -d ${COMPREPLY[i]} ]] || COMPREPLY[i]="${COMPREPLY[i]#"$typed"} "
  done
}
complete -o bashdefault -o default -o nospace -F _git_ckpt git-ckpt gitckpt
"""

ZSH_GIT_ENTRY = """
# zsh's git completion calls _git-<command> for `git <command>`.
_git-ckpt() { _shtab_git_ckpt "$@"; }
"""

FISH_GIT_ENTRY = """
# fish's git completion (3.6) registers git-* programs under the wrong name, so `git ckpt …`
# never reaches git-ckpt's completions; this hands the words after `ckpt` to them.
function __git_ckpt_complete
    set -l words (commandline -opc)
    set -l at (contains -i -- ckpt $words)
    and set -e words[1..$at]
    complete -C "git-ckpt $words "(commandline -ct)
end
complete -c git -f -n '__fish_seen_subcommand_from ckpt' -a '(__git_ckpt_complete)'
"""

REGISTRY_COMPLETERS = {
    "--names": {
        "bash": "_git_ckpt_names",
        "zsh": "($(git ckpt completion --names 2>/dev/null))",
        "fish": "(git ckpt completion --names 2>/dev/null)",
    },
    "--references": {
        "bash": "_git_ckpt_references",
        "zsh": "($(git ckpt completion --references 2>/dev/null))",
        "fish": "(git ckpt completion --references 2>/dev/null)",
    },
}


def register(commands: Subcommands) -> None:
    parser = subparser(
        commands, "completion", "print a shell completion script for git ckpt", COMPLETION_EPILOG
    )
    parser.add_argument("shell", choices=SHELLS, nargs="?", help="the shell to complete in")
    listing = parser.add_mutually_exclusive_group()
    listing.add_argument("--names", action="store_true", help=argparse.SUPPRESS)
    listing.add_argument("--references", action="store_true", help=argparse.SUPPRESS)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if args.names or args.references:
        for word in registry_words(with_references=args.references):
            print(word)
        return EXIT_OK
    if args.shell is None:
        raise UsageError("name a shell: git ckpt completion bash|zsh|fish")
    print(completion_script(args.build_parser(), args.shell))
    return EXIT_OK


def completion_script(parser: argparse.ArgumentParser, shell: str) -> str:
    """shtab's script for the whole command line `parser` (cli's, handed over as `build_parser`:
    commands sit below cli), with registry completers on the positionals that name artifacts and
    the entry point git's completion for `shell` looks for."""
    import shtab

    parser.prog = PROGRAM  # `git ckpt` would register the completion for `git` itself
    for action in _positionals(parser):
        if action.dest in REFERENCE_ARGUMENTS:
            action.complete = REGISTRY_COMPLETERS["--references"]  # type: ignore[attr-defined]
        elif action.dest in NAME_ARGUMENTS:
            action.complete = REGISTRY_COMPLETERS["--names"]  # type: ignore[attr-defined]
    script: str = shtab.complete(parser, shell, preamble=BASH_PREAMBLE if shell == "bash" else "")
    entry = {"bash": BASH_GIT_ENTRY, "zsh": ZSH_GIT_ENTRY, "fish": FISH_GIT_ENTRY}[shell]
    return script + entry


def _positionals(parser: argparse.ArgumentParser) -> Iterator[argparse.Action]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                yield from _positionals(child)
        elif not action.option_strings:
            yield action


def registry_words(*, with_references: bool) -> list[str]:
    """Artifact names (from the cached inventory and the tags), and with `with_references`
    every released `NAME@vX.Y.Z`; nothing outside a repository (a completion never shows an
    error)."""
    try:
        repo = find_repository()
    except GitckptError:
        return []
    names = _card_names(repo)
    references = []
    for tag in read_tag_names(repo):
        parsed = parse_tag_name(tag)
        if parsed is None:
            continue
        names.add(parsed.artifact)
        if with_references and parsed.action == REGISTER and parsed.version:
            references.append(f"{parsed.artifact}@v{parsed.version}")
    return sorted(names) + sorted(set(references))


def _card_names(repo: Repository) -> set[str]:
    """The cards' names; none while the policy cannot be read (the tags still name artifacts)."""
    try:
        return {card.name for card in load_inventory(repo).cards.values() if card.name}
    except GitckptError:
        return set()
