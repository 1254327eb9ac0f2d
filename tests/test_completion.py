"""`git ckpt completion`: the script, sourced with git's own bash completion in a real bash,
completes what `git ckpt …<TAB>` should (issue 18, point 4)."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from testing.repos import git, gitckpt, run
from tests.conftest import CliResult

Cli = Callable[..., CliResult]

# Where git packages install git's contrib/completion/git-completion.bash: Debian and Fedora,
# older Debian, Arch, Homebrew.
GIT_COMPLETIONS = (
    Path("/usr/share/bash-completion/completions/git"),
    Path("/etc/bash_completion.d/git"),
    Path("/usr/share/git/completion/git-completion.bash"),
    Path("/usr/local/etc/bash_completion.d/git-completion.bash"),
)

# What bash does on TAB, without a terminal: the words of COMP_LINE, split also at the word
# breaks `@`, `:` and `=` (bash's COMP_WORDBREAKS), the cursor at the end, and the function
# registered for the first word (for `git`, git's completion, which calls _git_ckpt).
COMPLETE_LINE = r"""
source "$GIT_COMPLETION"
source "$CKPT_COMPLETION"
COMP_LINE="$1"
COMP_POINT=${#COMP_LINE}
read -ra split <<< "$COMP_LINE"
[[ $COMP_LINE == *" " ]] && split+=("")
COMP_WORDS=()
for word in "${split[@]}"; do
  [[ -z $word ]] && COMP_WORDS+=("")
  while [[ -n $word && $word =~ ^([^@:=]*)([@:=]*)(.*)$ ]]; do
    for part in "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}"; do
      [[ -n $part ]] && COMP_WORDS+=("$part")
    done
    word=${BASH_REMATCH[3]}
  done
done
COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
function=$(complete -p "${COMP_WORDS[0]}" | sed 's/.*-F \([^ ]*\) .*/\1/')
"$function" "${COMP_WORDS[0]}"
printf '%s\n' "${COMPREPLY[@]}"
"""


@pytest.fixture
def program_path(tmp_path: Path) -> str:
    """PATH with a `git-ckpt` that runs this interpreter on this checkout (how git, and each
    shell's completion, finds `git ckpt`), and the system's tools."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    program = bin_dir / "git-ckpt"
    program.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m gitckpt "$@"\n')
    program.chmod(0o755)
    return f"{bin_dir}:/usr/bin:/bin"


@pytest.fixture
def complete(tmp_path: Path, program_path: str) -> Callable[[str, Path], list[str]]:
    """What bash, with git's completion and ours loaded, offers for a command line typed in
    `cwd` (each offer stripped of the space git's completion appends)."""
    git_completion = next((path for path in GIT_COMPLETIONS if path.is_file()), None)
    assert git_completion, f"git's bash completion is missing: looked in {GIT_COMPLETIONS}"
    assert shutil.which("bash"), "bash is missing"
    script = gitckpt(tmp_path, "completion", "bash", check=True).stdout
    (tmp_path / "git-ckpt.bash").write_text(script)
    env = {
        "PATH": program_path,
        "GIT_COMPLETION": str(git_completion),
        "CKPT_COMPLETION": str(tmp_path / "git-ckpt.bash"),
    }

    def offers(line: str, cwd: Path) -> list[str]:
        completed = run(["bash", "-c", COMPLETE_LINE, "bash", line], cwd, env=env)
        assert completed.stderr == "", completed.stderr
        return [offer.rstrip(" ") for offer in completed.stdout.splitlines() if offer]

    return offers


def test_git_ckpt_completes_a_command(
    complete: Callable[[str, Path], list[str]], tmp_path: Path
) -> None:
    assert complete("git ckpt pro", tmp_path) == ["promote"]
    assert "completion" in complete("git ckpt ", tmp_path)


def test_the_program_completes_under_its_own_names(
    complete: Callable[[str, Path], list[str]], tmp_path: Path
) -> None:
    assert complete("git-ckpt pro", tmp_path) == ["promote"]
    assert complete("gitckpt sh", tmp_path) == ["show"]


def test_git_ckpt_completes_options_and_choices(
    complete: Callable[[str, Path], list[str]], tmp_path: Path
) -> None:
    assert "--json" in complete("git ckpt show --", tmp_path)
    assert complete("git ckpt completion ", tmp_path) == ["bash", "zsh", "fish"]


def test_show_completes_artifact_names_and_releases(
    complete: Callable[[str, Path], list[str]], registry: Path, cli: Cli
) -> None:
    assert complete("git ckpt show cl", registry) == ["clf", "clf-eval"]
    assert complete("git ckpt show p", registry) == ["points"]
    assert cli("tag", "clf", "--allow-unpushed", cwd=registry).code == 0
    # bash keeps what is typed up to `@` (a word break) and puts the offer after it
    assert complete("git ckpt show clf@", registry) == ["v0.1.0"]
    assert complete("git-ckpt export clf@v", registry) == ["v0.1.0"]
    assert complete("git ckpt attest clf", registry) == ["clf", "clf-eval", "clf@v0.1.0"]
    # a name-only argument offers no release references, and `-C` reaches another repository
    assert complete(f"git -C {registry} ckpt deprecate cl", registry.parent) == ["clf", "clf-eval"]


def test_a_monorepo_name_completes_across_the_colon(
    complete: Callable[[str, Path], list[str]], registry: Path
) -> None:
    git(registry, "tag", "models=cnn@v1.0.0")  # GTO's spelling of models:cnn's release
    assert complete("git ckpt show mo", registry) == ["models:cnn", "models:cnn@v1.0.0"]
    assert complete("git ckpt show models:c", registry) == ["cnn", "cnn@v1.0.0"]


def test_outside_a_repository_names_complete_to_nothing(
    complete: Callable[[str, Path], list[str]], tmp_path: Path
) -> None:
    assert complete("git ckpt show ", tmp_path) == []


def test_a_broken_policy_still_completes_released_names_and_says_nothing(
    complete: Callable[[str, Path], list[str]], registry: Path, cli: Cli
) -> None:
    assert cli("tag", "clf", "--allow-unpushed", cwd=registry).code == 0
    (registry / ".gitckpt").mkdir(exist_ok=True)
    (registry / ".gitckpt" / "config.yaml").write_text("checks: [unclosed\n")
    assert cli("ls", cwd=registry).code == 1  # the cards cannot be judged now
    # the tags still name what was released; `complete` also requires an empty stderr
    assert complete("git ckpt show ", registry) == ["clf", "clf@v0.1.0"]


def test_hidden_listing_and_usage(tmp_path: Path, registry: Path) -> None:
    assert gitckpt(registry, "completion", "--names", check=True).stdout.split() == [
        "clf",
        "clf-eval",
        "points",
    ]
    missing = gitckpt(tmp_path, "completion")
    assert missing.returncode == 2
    assert "name a shell" in missing.stderr


def test_fish_completes_git_ckpt_with_fish_own_git_completion(
    tmp_path: Path, program_path: str, registry: Path
) -> None:
    """fish (`make shells` installs it) loads its own git completion for `git …`."""
    assert shutil.which("fish"), "fish is missing: run `make shells`"
    script = tmp_path / "git-ckpt.fish"
    script.write_text(gitckpt(tmp_path, "completion", "fish", check=True).stdout)
    lines = "; ".join(
        f"complete -C '{line}'" for line in ("git ckpt pro", "git ckpt show cl", "git-ckpt dep")
    )
    completed = run(
        ["fish", "--no-config", "-c", f"source {script}; {lines}"],
        registry,
        env={"PATH": program_path},
    )
    assert completed.stderr == "", completed.stderr
    offers = [line.split("\t")[0] for line in completed.stdout.splitlines()]
    assert offers == ["promote", "clf", "clf-eval", "deprecate"]


def test_zsh_loads_the_script_for_git_ckpt(tmp_path: Path, program_path: str) -> None:
    """zsh (`make shells` installs it) registers the completion and the `_git-ckpt` function
    its own git completion calls for `git ckpt`."""
    assert shutil.which("zsh"), "zsh is missing: run `make shells`"
    script = tmp_path / "git-ckpt.zsh"
    script.write_text(gitckpt(tmp_path, "completion", "zsh", check=True).stdout)
    completed = run(
        [
            "zsh",
            "-f",
            "-c",
            f'autoload -Uz compinit && compinit -u -D && eval "$(<{script})" && '
            "print -r -- $_comps[git-ckpt] && whence -w _git-ckpt",
        ],
        tmp_path,
        env={"PATH": program_path},
    )
    assert completed.stderr == "", completed.stderr
    assert completed.stdout.split("\n")[:2] == ["_shtab_git_ckpt", "_git-ckpt: function"]
