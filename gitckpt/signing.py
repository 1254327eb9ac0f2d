"""Who signed a tag, and whether the policy lets them: git's SSH signing, checked against the
trusted allowed signers (git's format) and `release.signers` in the trusted config (trust.py)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path

from gitckpt.cache import Cache
from gitckpt.config import Config
from gitckpt.errors import GitckptError
from gitckpt.repo import Repository, git, verify_tag
from gitckpt.trust import TrustRoot

GOOD_SIGNATURE = re.compile(r'Good "git" signature for (?P<principal>\S+) with')
GOOD_UNKNOWN_KEY = 'Good "git" signature with'


def signing_key(repo: Repository) -> str:
    """The user's SSH signing key (`user.signingkey`), or a refusal saying how to set one."""
    key = git(["config", "--get", "user.signingkey"], repo.root, check=False).strip()
    if not key:
        raise GitckptError(
            "--sign needs an SSH signing key, and git has none configured.\n"
            "Set one with `git config user.signingkey ~/.ssh/id_ed25519.pub` (gitckpt "
            "signs with gpg.format=ssh), then tag again."
        )
    return key


def public_key_of(key: str) -> str:
    """`keytype base64` of a signing key given as `key::…` or as a key file path."""
    if key.startswith("key::"):
        return " ".join(key[5:].split()[:2])
    path = Path(key).expanduser()
    public = path if path.suffix == ".pub" else path.with_name(path.name + ".pub")
    if not public.is_file():
        raise GitckptError(
            f"cannot read the public key of user.signingkey ({public}); gitckpt needs it "
            "to check the release policy"
        )
    return " ".join(public.read_text().split()[:2])


def principals_for(allowed_signers: str, public_key: str) -> list[str]:
    """Principals that the allowed signers (git's format) list for this public key."""
    found = []
    for line in allowed_signers.splitlines():
        if line.strip() and not line.lstrip().startswith("#") and public_key in line:
            found.extend(line.split()[0].split(","))
    return found


def allowed(config: Config, principal: str, artifact: str, stage: str | None = None) -> bool:
    """Whether the policy lets `principal` sign for `artifact` (and `stage`)."""
    if not config.signers:
        return True
    for signer in config.signers:
        if signer.principal != principal or not any(
            fnmatchcase(artifact, pattern) for pattern in signer.artifacts
        ):
            continue
        if stage is None or any(fnmatchcase(stage, pattern) for pattern in signer.stages):
            return True
    return False


def check_signer_may_sign(
    repo: Repository, trust: TrustRoot, artifact: str, stage: str | None = None
) -> str:
    """Before signing: the configured key belongs to a principal the trusted policy allows. Returns
    it."""
    public_key = public_key_of(signing_key(repo))
    principals = principals_for(trust.allowed_signers, public_key)
    if not principals:
        raise GitckptError(
            f"your signing key is not in the trusted allowed signers ({trust.signers_from}); "
            f"ask a maintainer to add `<you@example.org> {public_key}` there and merge it"
        )
    permitted = [
        principal for principal in principals if allowed(trust.config, principal, artifact, stage)
    ]
    if not permitted:
        what = f"{artifact} to {stage}" if stage else artifact
        raise GitckptError(
            f"{', '.join(principals)} may not sign {what} under release.signers in the "
            f"trusted policy ({trust.describe()})"
        )
    return permitted[0]


@dataclass(frozen=True)
class Signature:
    """What a tag's signature is worth against the trusted allowed signers."""

    status: str
    principal: str | None = None

    @property
    def verified(self) -> bool:
        return self.status == VERIFIED

    def describe(self) -> str:
        return f"verified ({self.principal})" if self.verified else DESCRIPTIONS[self.status]

    def to_json(self) -> dict[str, str | None]:
        return {"status": self.status, "principal": self.principal, "description": self.describe()}


VERIFIED, UNKNOWN_KEY, BAD, UNSIGNED = "verified", "unknown-key", "bad", "unsigned"
DESCRIPTIONS = {
    UNKNOWN_KEY: "signed by a key not in the trusted allowed signers",
    BAD: "bad signature",
    UNSIGNED: "unsigned",
}
NOT_SIGNED = Signature(UNSIGNED)
_CACHE_FORMAT = 1
_WORKERS = 4  # each check is a git and two ssh-keygen processes; the cores are shared with them


def tag_signatures(
    repo: Repository, trust: TrustRoot, signed_objects: Iterable[str]
) -> dict[str, Signature]:
    """The signature of each signed tag object (by id), checked against the trusted allowed
    signers: remembered by object id and signers digest, so each is checked once."""
    wanted = sorted(set(signed_objects))
    keys = {oid: f"signature:{_CACHE_FORMAT}:{oid}:{trust.signers_digest}" for oid in wanted}
    with Cache(repo.state_dir) as cache:
        known = cache.get_results(keys.values())
        found = {oid: Signature(**known[key]) for oid, key in keys.items() if key in known}
        missing = [oid for oid in wanted if oid not in found]
        if missing:
            signers = trust.signers_file(repo)
            with ThreadPoolExecutor(max_workers=_WORKERS) as pool:
                fresh = dict(
                    zip(
                        missing,
                        pool.map(lambda oid: _verify_tag_object(repo, signers, oid), missing),
                        strict=True,
                    )
                )
            cache.put_results({keys[oid]: vars(signature) for oid, signature in fresh.items()})
            found.update(fresh)
    return found


def _verify_tag_object(repo: Repository, signers: Path, oid: str) -> Signature:
    returncode, output = verify_tag(repo, oid, signers)
    match = GOOD_SIGNATURE.search(output)
    if returncode == 0 and match:
        return Signature(VERIFIED, match["principal"])
    if "no signature found" in output:
        return NOT_SIGNED
    if GOOD_UNKNOWN_KEY in output:
        return Signature(UNKNOWN_KEY)
    return Signature(BAD)
