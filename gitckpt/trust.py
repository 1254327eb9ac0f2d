"""The trust root: where verification reads the policy and the allowed signers from.

Never the tagged commit, a pull request's head or the work tree (an attacker writes those), but
the committed `.gitckpt/` of a trusted revision: the default branch (the remote's HEAD when
there is one, else main or master), or the revision named by `--trust-ref`, by git config
`gitckpt.trustRef`, or by `release.trust_ref` in the default branch's own config. Git config
`gitckpt.allowedSignersFile` (local configuration, like git's `gpg.ssh.allowedSignersFile`)
replaces the committed allowed signers."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from gitckpt.cache import Cache
from gitckpt.config import CONFIG_PATH, Config, cached_config
from gitckpt.errors import GitckptError, InputError, UsageError
from gitckpt.files import CARD_SIZE_LIMIT, atomic_write, decode_text, read_limited
from gitckpt.repo import DEFAULT_BRANCHES, Repository, commit_id, git, read_objects

ALLOWED_SIGNERS = ".gitckpt/allowed_signers"
TRUST_REF_CONFIG = "gitckpt.trustref"
SIGNERS_FILE_CONFIG = "gitckpt.allowedsignersfile"
# git's own: honoured by verify-tag, so part of what a verdict depends on
REVOCATION_FILE_CONFIG = "gpg.ssh.revocationfile"


class NoTrustedRevision(UsageError):
    """No default branch and no configured trust ref: nothing to verify or route against."""


@dataclass(frozen=True)
class TrustRoot:
    """The trusted policy and allowed signers, and where each came from."""

    ref: str
    revision: str
    config: Config
    allowed_signers: str
    signers_from: str
    revoked_keys: str = ""

    @property
    def signers_digest(self) -> str:
        """Changes whenever a signature's verdict could: the allowed signers or the revoked keys."""
        return hashlib.sha256(f"{self.allowed_signers}\0{self.revoked_keys}".encode()).hexdigest()

    @property
    def fingerprint(self) -> str:
        """Changes whenever what judges an event changes: the allowed signers or the release
        policy."""
        policy = repr((self.config.require_signature, self.config.signers))
        return hashlib.sha256(f"{self.signers_digest}\0{policy}".encode()).hexdigest()

    def describe(self) -> str:
        """One line for every verifying command's output."""
        ref = self.ref.removeprefix("refs/heads/").removeprefix("refs/remotes/")
        return (
            f"trusted policy: {CONFIG_PATH} at {ref} ({self.revision[:12]}); allowed signers: "
            f"{self.signers_from}"
        )

    def to_json(self) -> dict[str, str]:
        return {"ref": self.ref, "revision": self.revision, "allowed_signers": self.signers_from}

    def signers_file(self, repo: Repository) -> Path:
        """The trusted allowed signers as a file git and ssh-keygen can read (kept in gitckpt's
        private state, named by its digest, so a concurrent run never sees a half-written one)."""
        path = repo.state_dir / "trusted" / f"allowed_signers-{self.signers_digest[:32]}"
        if not path.is_file():
            atomic_write(path, self.allowed_signers)
        return path


def trust_root(repo: Repository, trust_ref: str | None = None) -> TrustRoot:
    """The trust root for verifying in `repo`; `trust_ref` is what the user named with
    --trust-ref."""
    settings = _git_settings(repo)
    named = trust_ref or settings.get(TRUST_REF_CONFIG)
    if named:
        ref, revision = (
            named,
            _revision(repo, named, "--trust-ref" if trust_ref else TRUST_REF_CONFIG),
        )
    else:
        ref, revision = _default_branch(repo)
    config, signers = _policy_at(repo, revision)
    if named is None and config.trust_ref:
        ref = config.trust_ref
        revision = _revision(repo, ref, f"release.trust_ref in {CONFIG_PATH}")
        config, signers = _policy_at(repo, revision)
    signers_from = (
        f"{ALLOWED_SIGNERS} at {ref.removeprefix('refs/heads/').removeprefix('refs/remotes/')}"
    )
    if settings.get(SIGNERS_FILE_CONFIG):
        signers = _read_local_file(settings[SIGNERS_FILE_CONFIG])
        signers_from = f"{settings[SIGNERS_FILE_CONFIG]} (git config gitckpt.allowedSignersFile)"
    revoked = (
        _read_local_file(settings[REVOCATION_FILE_CONFIG])
        if settings.get(REVOCATION_FILE_CONFIG)
        else ""
    )
    return TrustRoot(
        ref=ref,
        revision=revision,
        config=config,
        allowed_signers=signers,
        signers_from=signers_from,
        revoked_keys=revoked,
    )


def _read_local_file(name: str) -> str:
    path = Path(name).expanduser()
    return decode_text(read_limited(path, CARD_SIZE_LIMIT, str(path)), str(path))


def _git_settings(repo: Repository) -> dict[str, str]:
    output = git(
        ["config", "--get-regexp", r"^(gitckpt\.|gpg\.ssh\.revocationfile$)"],
        repo.root,
        check=False,
    )
    return {
        key.lower(): value
        for key, _, value in (line.partition(" ") for line in output.splitlines())
    }


def _default_branch(repo: Repository) -> tuple[str, str]:
    """The default branch's ref and commit, from one for-each-ref."""
    output = git(
        ["for-each-ref", "--format=%(refname) %(objectname)", *DEFAULT_BRANCHES], repo.root
    )
    present = dict(line.split(" ", 1) for line in output.splitlines() if line)
    branch = next((ref for ref in DEFAULT_BRANCHES if ref in present), None)
    if branch is None:
        raise NoTrustedRevision(
            "there is no trusted revision to verify against: no default branch "
            "(origin/HEAD, main or master).\n"
            "gitckpt reads the policy and allowed signers from a trusted branch, never "
            "from what it verifies.\n"
            "Name one with --trust-ref REF, or once for this clone: git config gitckpt.trustRef REF"
        )
    return branch, present[branch]


def _revision(repo: Repository, ref: str, named_by: str) -> str:
    commit = commit_id(repo, ref)
    if commit is None:
        raise UsageError(
            f"the trusted revision {ref!r} ({named_by}) is not a commit in this "
            "repository; fetch it or name another"
        )
    return commit


def policy_at(repo: Repository, revision: str) -> Config:
    """The policy committed at `revision` (the defaults when it has none): what CI judges a pull
    request by is its base's policy, never the one the pull request writes."""
    return _policy_at(repo, revision)[0]


def _policy_at(repo: Repository, revision: str) -> tuple[Config, str]:
    """The config and allowed signers committed at `revision` (defaults and none when absent)."""
    config_blob, signers_blob = read_objects(
        repo, [f"{revision}:{CONFIG_PATH}", f"{revision}:{ALLOWED_SIGNERS}"]
    )
    try:
        with Cache(repo.state_dir) as cache:
            config = cached_config(config_blob[1], cache) if config_blob else Config()
    except InputError as error:
        raise GitckptError(
            f"the trusted policy at {revision[:12]} cannot be read: {error}"
        ) from error
    signers = (
        decode_text(signers_blob[1], ALLOWED_SIGNERS)
        if signers_blob and len(signers_blob[1]) <= CARD_SIZE_LIMIT
        else ""
    )
    return config, signers
