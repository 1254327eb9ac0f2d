"""Who signed a tag, and whether the policy lets them: git's SSH signing, checked against
`.gitckpt/allowed_signers` (git's allowed-signers format) and `release.signers` in the config."""

from __future__ import annotations

import re
from fnmatch import fnmatchcase
from pathlib import Path

from gitckpt.config import Config
from gitckpt.errors import GitckptError
from gitckpt.repo import Repository, git

ALLOWED_SIGNERS = ".gitckpt/allowed_signers"
GOOD_SIGNATURE = re.compile(r'Good "git" signature for (?P<principal>\S+) with')


def signing_key(repo: Repository) -> str:
    """The user's SSH signing key (`user.signingkey`), or a refusal saying how to set one."""
    key = git(["config", "--get", "user.signingkey"], repo.root, check=False).strip()
    if not key:
        raise GitckptError(
            "--sign needs an SSH signing key, and git has none configured.\n"
            "Set one with `git config user.signingkey ~/.ssh/id_ed25519.pub` (gitckpt signs with gpg.format=ssh), then tag again."
        )
    return key


def public_key_of(key: str) -> str:
    """`keytype base64` of a signing key given as `key::…` or as a key file path."""
    if key.startswith("key::"):
        return " ".join(key[5:].split()[:2])
    path = Path(key).expanduser()
    public = path if path.suffix == ".pub" else path.with_name(path.name + ".pub")
    if not public.is_file():
        raise GitckptError(f"cannot read the public key of user.signingkey ({public}); gitckpt needs it to check the release policy")
    return " ".join(public.read_text().split()[:2])


def principals_for(repo: Repository, public_key: str) -> list[str]:
    """Principals that `.gitckpt/allowed_signers` lists for this public key."""
    path = repo.root / ALLOWED_SIGNERS
    if not path.is_file():
        return []
    found = []
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#") and public_key in line:
            found.extend(line.split()[0].split(","))
    return found


def allowed(config: Config, principal: str, artifact: str, stage: str | None = None) -> bool:
    """Whether the policy lets `principal` sign for `artifact` (and `stage`)."""
    if not config.signers:
        return True
    for signer in config.signers:
        if signer.principal != principal or not any(fnmatchcase(artifact, pattern) for pattern in signer.artifacts):
            continue
        if stage is None or any(fnmatchcase(stage, pattern) for pattern in signer.stages):
            return True
    return False


def check_signer_may_sign(repo: Repository, config: Config, artifact: str, stage: str | None = None) -> str:
    """Before signing: the configured key belongs to a principal the policy allows. Returns it."""
    public_key = public_key_of(signing_key(repo))
    principals = principals_for(repo, public_key)
    if not principals:
        raise GitckptError(f"your signing key is not in {ALLOWED_SIGNERS}; ask a maintainer to add `<you@example.org> {public_key}` there")
    permitted = [principal for principal in principals if allowed(config, principal, artifact, stage)]
    if not permitted:
        what = f"{artifact} to {stage}" if stage else artifact
        raise GitckptError(f"{', '.join(principals)} may not sign {what} under release.signers in .gitckpt/config.yaml")
    return permitted[0]


def verify_tag_signature(repo: Repository, tag: str) -> str:
    """The principal whose valid signature the tag carries; GitckptError when unsigned or invalid."""
    import subprocess

    signers_file = repo.root / ALLOWED_SIGNERS
    if not signers_file.is_file():
        raise GitckptError(f"there is no {ALLOWED_SIGNERS}, so no signature can be trusted; list the release signers there")
    completed = subprocess.run(
        ["git", "-c", "gpg.format=ssh", "-c", f"gpg.ssh.allowedSignersFile={signers_file}", "verify-tag", tag],
        cwd=repo.root,
        capture_output=True,
        text=True,
        check=False,
    )
    output = completed.stderr + completed.stdout
    match = GOOD_SIGNATURE.search(output)
    if completed.returncode == 0 and match:
        return match["principal"]
    if "no signature found" in output:
        raise GitckptError(f"{tag} is not signed")
    last_line = output.strip().splitlines()[-1] if output.strip() else "unknown error"
    raise GitckptError(f"{tag} does not carry a valid signature by a key in {ALLOWED_SIGNERS}: {last_line}")
