"""The repository's policy: `.gitckpt/config.yaml`."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from gitckpt.errors import InputError
from gitckpt.files import decode_text
from gitckpt.hashing import git_blob_id
from gitckpt.schema import CONFIG_SCHEMA, load_mapping, rules_fingerprint

if TYPE_CHECKING:
    from gitckpt.cache import Cache
    from gitckpt.strict_yaml import YamlDocument

CONFIG_PATH = ".gitckpt/config.yaml"
GTO_NAME_PATTERN = r"[a-z0-9]([a-z0-9-/]*[a-z0-9])?"
DEFAULT_STAGES = ("dev", "staging", "prod")
DEFAULT_STALE_DAYS = 90
DEFAULT_ACCESS_LEVELS = ("public", "internal", "restricted")
DEFAULT_KEEP_LAST, DEFAULT_KEEP_DAYS = 3, 90  # retention.keep_unreleased
DEFAULT_HOOK_TIMEOUT = 30  # seconds
SEVERITIES = ("error", "warning", "off")
# Parse failures, leaked secrets, code-running pickles and pull requests that rewrite the policy
# judging them cannot be waved through by policy.
MANDATORY_CHECKS = ("GC101", "GC102", "GC201", "GC506", "GC601", "GC701", "GC901")

DEFAULT_CONFIG_TEXT = f"""\
# gitckpt policy for this repository. Committed, so every clone enforces the same rules.
# Schema: gitckpt/schemas/config.schema.json
schema_version: 1

naming:
  # A regular expression every artifact name must match in full. The default is GTO's names
  # in lower case, without '_'; tighten it for your team, e.g. '^projx-[a-z0-9-]+$'.
  # Named groups become fields you can search on (`git ckpt search --field project=projx`):
  # '(?P<project>[a-z0-9]+)-(?P<architecture>[a-z0-9]+)-v(?P<version>[0-9]+)'
  pattern: '{GTO_NAME_PATTERN}'

stages:
  # Stages a release may be promoted to, in promotion order (`git ckpt promote`).
  allowed: [{", ".join(DEFAULT_STAGES)}]
  # Refuse promoting a version to a stage whose predecessor it never held.
  enforce_order: true

release:
  # Refuse unsigned releases (`git ckpt tag --sign` signs with git's SSH signing).
  require_signature: false
  # Who may release what, by principal in .gitckpt/allowed_signers (empty: anyone listed there).
  signers: []
  #  - principal: ada@example.org
  #    artifacts: ['projx-*']
  #    stages: [dev, staging]

# Severity per kind of card change in pull-request review (`git ckpt diff`, `git ckpt ci`):
# error fails CI, warning and info are reported. Defaults: see `git ckpt diff -h`.
review: {{}}
#  license-changed: error
#  metric-drop-significant: error

serialization:
  # Globals a pickle-based checkpoint may import beyond those gitckpt knows to be safe (GC701),
  # each with why it is harmless. Prefer safetensors; release records list what was allowed.
  allow_globals: []
  #  - global: mylab.layers.ScaledDot
  #    reason: our own module, reviewed; its __setstate__ only assigns attributes

# Access levels (a card's `access.level`), from the most open to the most closed: the DVC
# remotes `git ckpt push` may send each level's bytes to, and who may lower an artifact from it.
# Read from the trusted revision. Without this section: {", ".join(DEFAULT_ACCESS_LEVELS)},
# each on any remote.
# access:
#   levels:
#     public: {{remotes: [hub]}}
#     internal: {{remotes: [lab-s3]}}
#     restricted: {{remotes: [vault], lowered_by: [privacy-officer@example.org]}}

# What `git ckpt gc` keeps besides every release, stage and branch head: per artifact, the last
# N unreleased versions and those committed within D days. Read from the trusted revision.
# retention:
#   keep_unreleased: {{last: {DEFAULT_KEEP_LAST}, days: {DEFAULT_KEEP_DAYS}}}
# The DVC remote `git ckpt archive` moves a deprecated artifact's bytes to, per access level.
# archive:
#   internal: lab-glacier

audit:
  # `git ckpt audit` reports a card not touched within this many days after its bytes changed.
  stale_days: {DEFAULT_STALE_DAYS}

# Severity per check id (see `git ckpt check --help`): error, warning or off.
# An error blocks the commit; a warning is shown and lets it through.
checks: {{}}
#  GC302: warning
"""


class Signer(NamedTuple):
    principal: str
    artifacts: tuple[str, ...] = ("*",)
    stages: tuple[str, ...] = ("*",)


class AccessLevel(NamedTuple):
    """A level of the access policy: the DVC remotes its bytes may live on (None: any, as without
    an `access:` section) and the principals who may lower an artifact from it."""

    name: str
    remotes: tuple[str, ...] | None = None
    lowered_by: tuple[str, ...] = ()

    def allows(self, remote: str) -> bool:
        return self.remotes is None or remote in self.remotes

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AccessLevel:
        remotes = data["remotes"]
        return cls(
            data["name"], None if remotes is None else tuple(remotes), tuple(data["lowered_by"])
        )


class HookCommand(NamedTuple):
    """A command `tag`, `promote` and `deprecate` run after success, with the event as JSON on
    its standard input: its argv (a repository path is run as committed at the trusted
    revision), the event types it wants (empty: all) and how long it may take."""

    command: tuple[str, ...]
    events: tuple[str, ...] = ()
    timeout: int = DEFAULT_HOOK_TIMEOUT

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> HookCommand:
        return cls(
            tuple(data["command"]),
            tuple(data.get("events") or ()),
            int(data.get("timeout", DEFAULT_HOOK_TIMEOUT)),
        )


DEFAULT_ACCESS = tuple(AccessLevel(name) for name in DEFAULT_ACCESS_LEVELS)


@dataclass(frozen=True)
class Config:
    naming_pattern: str = GTO_NAME_PATTERN
    stages: tuple[str, ...] = DEFAULT_STAGES
    enforce_order: bool = True
    severities: dict[str, str] = field(default_factory=dict)
    require_signature: bool = False
    signers: tuple[Signer, ...] = ()
    review: dict[str, str] = field(default_factory=dict)
    stale_days: int = DEFAULT_STALE_DAYS
    trust_ref: str | None = None
    allowed_globals: dict[str, str] = field(
        default_factory=dict
    )  # pickle global -> why it is harmless
    access_levels: tuple[AccessLevel, ...] = DEFAULT_ACCESS
    container_digest_env: str | None = None  # the variable naming the run's container image
    keep_last: int = DEFAULT_KEEP_LAST  # unreleased versions of each artifact `gc` keeps
    keep_days: int = DEFAULT_KEEP_DAYS  # and every unreleased version younger than this
    archive_remotes: dict[str, str] = field(default_factory=dict)  # access level -> DVC remote
    hooks: tuple[HookCommand, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The config as `from_json` reads it: its records (signers, levels, hooks) as objects."""
        data: dict[str, Any] = {name: getattr(self, name) for name in self.__dataclass_fields__}
        for name in ("signers", "access_levels", "hooks"):
            data[name] = [record._asdict() for record in data[name]]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Config:
        signers = tuple(
            Signer(item["principal"], tuple(item["artifacts"]), tuple(item["stages"]))
            for item in data.get("signers", ())
        )
        levels = tuple(AccessLevel.from_json(item) for item in data["access_levels"])
        hooks = tuple(HookCommand.from_json(item) for item in data.get("hooks", ()))
        return cls(
            **{
                **data,
                "stages": tuple(data["stages"]),
                "signers": signers,
                "access_levels": levels,
                "hooks": hooks,
            }
        )

    def access_level(self, name: str) -> AccessLevel | None:
        """The policy's level called `name`, or None when the policy defines no such level."""
        return next((level for level in self.access_levels if level.name == name), None)

    def name_matches(self, name: str) -> bool:
        return re.fullmatch(self.naming_pattern, name) is not None

    @property
    def name_fields(self) -> tuple[str, ...]:
        """The named groups of naming.pattern: the fields every artifact name spells out."""
        return tuple(re.compile(self.naming_pattern).groupindex)

    def parse_name(self, name: str) -> dict[str, str]:
        """The named groups' values in `name` (empty when it does not match the pattern)."""
        match = re.fullmatch(self.naming_pattern, name)
        return (
            {key: value for key, value in match.groupdict().items() if value is not None}
            if match
            else {}
        )


def _config_key(blob_id: str) -> str:
    return f"config:{rules_fingerprint()}:{CONFIG_PATH}:{blob_id}"


def known_config(blob_id: str, cache: Cache) -> Config | None:
    """The policy in the config.yaml blob `blob_id` if it was parsed before (by these rules)."""
    cached = cache.get_results([_config_key(blob_id)]).get(_config_key(blob_id))
    return None if cached is None else Config.from_json(cached)


def cached_config(data: bytes, cache: Cache) -> Config:
    """The policy in `data` (the bytes of a config.yaml), parsed once per content and rules."""
    blob_id = git_blob_id(data)
    known = known_config(blob_id, cache)
    if known is not None:
        return known
    config = parse_config(decode_text(data, CONFIG_PATH))
    cache.put_results({_config_key(blob_id): config.to_json()})
    return config


def parse_config(text: str, display: str = CONFIG_PATH) -> Config:
    """The policy, validated against its schema; InputError names the line and field."""

    document = load_mapping(text, display, CONFIG_SCHEMA, "config must be a mapping of settings")
    data: Any = document.data
    for check_id, severity in (data.get("checks") or {}).items():
        if severity == "off" and check_id in MANDATORY_CHECKS:
            line = document.line_of(("checks", check_id))
            raise InputError(
                f"{check_id} is mandatory and cannot be turned off (it may not be waived "
                "by policy)",
                path=display,
                line=line,
                field=f"checks.{check_id}",
            )
    pattern = data.get("naming", {}).get("pattern", GTO_NAME_PATTERN)
    try:
        re.compile(pattern)
    except re.error as exc:
        raise InputError(
            f"naming.pattern is not a valid regular expression: {exc}",
            path=display,
            line=document.line_of(("naming", "pattern")),
            field="naming.pattern",
        ) from exc
    stages = data.get("stages", {})
    release = data.get("release", {})
    access_levels = _access_levels(data.get("access"))
    keep = (data.get("retention") or {}).get("keep_unreleased") or {}
    return Config(
        naming_pattern=pattern,
        stages=tuple(stages.get("allowed", DEFAULT_STAGES)),
        enforce_order=bool(stages.get("enforce_order", True)),
        severities=dict(data.get("checks") or {}),
        review=dict(data.get("review") or {}),
        stale_days=int(data.get("audit", {}).get("stale_days", DEFAULT_STALE_DAYS)),
        require_signature=bool(release.get("require_signature", False)),
        trust_ref=release.get("trust_ref"),
        allowed_globals={
            item["global"]: item["reason"]
            for item in (data.get("serialization") or {}).get("allow_globals", [])
        },
        access_levels=access_levels,
        keep_last=int(keep.get("last", DEFAULT_KEEP_LAST)),
        keep_days=int(keep.get("days", DEFAULT_KEEP_DAYS)),
        archive_remotes=_archive_remotes(document, access_levels, display),
        container_digest_env=(data.get("environment") or {}).get("container_digest_env"),
        hooks=tuple(HookCommand.from_json(item) for item in data.get("hooks") or ()),
        signers=tuple(
            Signer(
                item["principal"],
                tuple(item.get("artifacts", ["*"])),
                tuple(item.get("stages", ["*"])),
            )
            for item in release.get("signers", [])
        ),
    )


def _access_levels(section: dict[str, Any] | None) -> tuple[AccessLevel, ...]:
    """The levels of the `access:` section (validated by the schema), in the order written."""
    if section is None:
        return DEFAULT_ACCESS
    return tuple(
        AccessLevel(name, tuple(level["remotes"]), tuple(level.get("lowered_by", ())))
        for name, level in section["levels"].items()
    )


def _archive_remotes(
    document: YamlDocument, levels: tuple[AccessLevel, ...], display: str
) -> dict[str, str]:
    """The `archive:` section, each key a level the policy defines (the schema checked types)."""
    section: dict[str, str] = (document.data or {}).get("archive") or {}
    defined = [level.name for level in levels]
    for name in section:
        if name not in defined:
            raise InputError(
                f"archive names access level {name!r}, which the policy does not define "
                f"(it defines {', '.join(defined)}); name one of those",
                path=display,
                line=document.line_of(("archive", name)),
                field=f"archive.{name}",
            )
    return dict(section)
