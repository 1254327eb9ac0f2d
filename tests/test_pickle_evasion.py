"""GC701 holds against pickles built to evade it (issue 15). Every attack in
testing/pickle_corpus.py
would create its marker file if it were ever loaded; each must be a GC701 finding, through
check_pickle and through `git ckpt check --data`, without being loaded; every benign file must
pass. picklescan and fickling are run on the same corpus as oracles: gitckpt must flag whatever
either flags, and what only gitckpt flags is listed below with the reason."""

from __future__ import annotations

import contextlib
import copyreg
import gzip
import io
import json
import math
import pickle
import tarfile
import zipfile
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from gitckpt.checks.serialization import check_pickle
from gitckpt.file_facts import Finding
from testing.pickle_corpus import (
    ATTACKS,
    BENIGN,
    COMPRESSED,
    EXT_CODES,
    JOBLIB,
    LEGACY,
    NPY,
    PICKLES,
    TAR,
    ZIP,
    Attack,
    Benign,
    Call,
    write_corpus,
)
from tests.conftest import CliResult
from tests.test_release_checklist import replace_model_bytes
from tests.test_release_gate import make_model_a_directory

Cli = Callable[..., CliResult]
BY_NAME = {attack.relpath: attack for attack in ATTACKS}

# What only gitckpt flags: the attacks neither picklescan nor fickling flags (as judged below), and
# why.
ONLY_GITCKPT = {
    "e-legacy-tar.pt": "the legacy tar layout: picklescan's tar loading is a TODO, so it parses "
    "the tar as one pickle, which fails "
    "before any global, and it reports a file it cannot parse but found no global in as "
    "clean (no scan error); fickling has no tar "
    "reader and rates the tar's bytes LIKELY_UNSAFE (an invalid opcode), as it rates "
    "benign torch files",
    "e-legacy-tar-storages.pt": "the legacy tar layout, as above",
    "g-duplicate-malicious-first.pt": "duplicate member names: picklescan opens members by name, "
    "so it reads the last one twice; "
    "fickling's scan_zip_archive keys its results by name, so the last member's verdict "
    "replaces the first's",
    "v7-tar.ckpt": "the legacy tar layout, as above",
    "h-nested.zip": "neither looks inside a zip inside a zip",
    "i-truncated-zip.pt": "a zip cut short: picklescan raises BadZipFile (a scan error to its "
    "CLI, not a finding); fickling finds "
    "no pickle in it and rates that SUSPICIOUS",
    "model.joblib.gz": "compressed: neither decompresses; picklescan reports bytes it cannot "
    "parse as clean, fickling as SUSPICIOUS",
    "model.pkl.z": "compressed, as above",
    "ext1.pkl": "EXT codes: picklescan does not resolve them and reports no global; fickling's "
    "analysis crashes (AttributeError), "
    "which its graceful mode reports as LIKELY_UNSAFE",
    "ext2.pkl": "EXT codes, as above",
    "ext4.pkl": "EXT codes, as above",
}


@pytest.fixture(autouse=True)
def markers(tmp_path: Path) -> Iterator[Path]:
    """Where attacks would leave their markers (it must exist, or `touch` would fail silently); it
    must still be empty after the test."""
    directory = tmp_path / "markers"
    directory.mkdir()
    yield directory
    assert sorted(path.name for path in directory.iterdir()) == [], "an attack ran"


@pytest.fixture
def corpus(tmp_path: Path, markers: Path) -> dict[str, Path]:
    return write_corpus(tmp_path / "corpus", markers)


def gc701(relpath: str, path: Path) -> list[Finding]:
    return [
        finding for finding in check_pickle(f"models/{relpath}", path) if finding.check == "GC701"
    ]


def expected_fragments(attack: Attack) -> list[str]:
    """What a finding about the attack must name besides the file: the member(s) and the culprit."""
    return [*attack.members, *([attack.culprit] if attack.culprit else [])]


# 1. Every attack is a finding, every benign file passes.


@pytest.mark.parametrize("attack", ATTACKS, ids=[attack.relpath for attack in ATTACKS])
def test_every_attack_is_a_gc701_finding(attack: Attack, corpus: dict[str, Path]) -> None:
    findings = gc701(attack.relpath, corpus[attack.relpath])
    assert findings, f"{attack.relpath} was not flagged"
    assert {finding.path for finding in findings} == {f"models/{attack.relpath}"}
    fragments = expected_fragments(attack)
    assert any(all(part in finding.message for part in fragments) for finding in findings), (
        fragments,
        findings,
    )


@pytest.mark.parametrize("benign", BENIGN, ids=[benign.relpath for benign in BENIGN])
def test_benign_files_pass(benign: Benign, corpus: dict[str, Path]) -> None:
    assert gc701(benign.relpath, corpus[benign.relpath]) == []


# 2. The attacks are real: with the call swapped for a harmless probe, each file, read the way its
# loader reads it, really calls the probe. The probe's unpickler resolves nothing else dangerous.

PROBE = Call("probe", "hit", "probe-argument")


class ArrayWrapper:
    """Stands in for joblib's NumpyArrayWrapper."""

    shape: tuple[int, ...] = ()


class _Probing:
    calls: list[str]

    def __init__(self, file: io.BytesIO, calls: list[str]) -> None:
        super().__init__(file)  # type: ignore[call-arg]
        self.calls = calls

    def find_class(self, module: str, name: str) -> Any:
        harmless: dict[tuple[str, str], Any] = {
            ("builtins", "__import__"): self.import_probe,
            ("builtins", "getattr"): getattr,
            ("builtins", "str"): str,
            ("collections", "OrderedDict"): OrderedDict,
            ("torch._utils", "_rebuild_tensor_v2"): lambda *args: "a tensor",
            ("torch", "FloatStorage"): "a storage type",
            ("joblib.numpy_pickle", "NumpyArrayWrapper"): ArrayWrapper,
        }
        if module == PROBE.module and name.startswith(PROBE.name):
            return self.calls.append
        if (module, name) not in harmless:
            raise pickle.UnpicklingError(f"the probe does not resolve {module}.{name}")
        return harmless[module, name]

    def import_probe(self, module: str) -> SimpleNamespace:
        assert module == PROBE.module
        return SimpleNamespace(**{PROBE.name: self.calls.append})

    def persistent_load(self, pid: Any) -> Any:
        """PyTorch's legacy loader returns data[0] for a ('module', data) id."""
        return pid[1] if pid[0] == "module" else "a storage"


class Probe(_Probing, pickle.Unpickler):
    pass


class JoblibProbe(_Probing, pickle._Unpickler):
    """joblib's NumpyUnpickler: the pure-Python unpickler, reading the array's raw bytes after the
    wrapper's BUILD."""

    dispatch = pickle._Unpickler.dispatch.copy()

    def load_build(self) -> None:
        pickle._Unpickler.load_build(self)
        if isinstance(self.stack[-1], ArrayWrapper):
            self.stack[-1] = self.read(8 * math.prod(self.stack[-1].shape))

    dispatch[pickle.BUILD[0]] = load_build


def load_streams(data: bytes, calls: list[str], limit: int | None = None) -> None:
    """Unpickle stream after stream (each with a fresh memo), as pickle.load in a loop does."""
    stream = io.BytesIO(data)
    count = 0
    while stream.tell() < len(data) and (limit is None or count < limit):
        Probe(stream, calls).load()
        count += 1


def load_npy(data: bytes, calls: list[str]) -> None:
    import numpy.lib.format

    stream = io.BytesIO(data)
    assert numpy.lib.format.read_magic(stream) == (1, 0)
    _, _, dtype = numpy.lib.format.read_array_header_1_0(stream)
    if dtype.hasobject:
        Probe(stream, calls).load()


def load_zip(data: bytes, calls: list[str]) -> None:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            member = archive.read(info)
            if member.startswith(b"PK\x03\x04"):
                load_zip(member, calls)
            elif member.startswith(b"\x93NUMPY"):
                load_npy(member, calls)
            elif info.filename.endswith((".pkl", ".bin")):
                load_streams(member, calls)


def load_compressed(data: bytes, calls: list[str]) -> None:
    load_streams(
        gzip.decompress(data) if data.startswith(b"\x1f\x8b") else zlib.decompress(data), calls
    )


def load_tar(data: bytes, calls: list[str]) -> None:
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        for member in archive.getmembers():
            file = archive.extractfile(member)
            assert file is not None
            load_streams(file.read(), calls)


LOADERS: dict[str, Callable[[bytes, list[str]], None]] = {
    PICKLES: load_streams,
    LEGACY: lambda data, calls: load_streams(data, calls, limit=5),
    ZIP: load_zip,
    TAR: load_tar,
    NPY: load_npy,
    JOBLIB: lambda data, calls: JoblibProbe(io.BytesIO(data), calls).load(),
    COMPRESSED: load_compressed,
}


@contextlib.contextmanager
def probe_extensions() -> Iterator[None]:
    """The EXT attacks' codes registered in copyreg, each to a name of the probe, while they
    load."""
    names = {code: f"{PROBE.name}_ext{size}" for size, code in EXT_CODES.items()}
    for code, name in names.items():
        copyreg.add_extension(PROBE.module, name, code)
    try:
        yield
    finally:
        for code, name in names.items():
            copyreg.remove_extension(PROBE.module, name, code)


@pytest.mark.parametrize("attack", ATTACKS, ids=[attack.relpath for attack in ATTACKS])
def test_each_attack_really_calls_what_it_imports(attack: Attack) -> None:
    calls: list[str] = []
    data = attack.build(PROBE)
    if not attack.readable:
        with pytest.raises(zipfile.BadZipFile):
            LOADERS[attack.layout](data, calls)
        return
    with probe_extensions(), contextlib.suppress(pickle.UnpicklingError, EOFError, IndexError):
        LOADERS[attack.layout](data, calls)  # some attacks break the stream after the call
    assert calls == [PROBE.argument]


def test_object_arrays_are_what_numpy_refuses_without_allow_pickle(corpus: dict[str, Path]) -> None:
    import numpy

    with pytest.raises(ValueError, match="allow_pickle=False"):
        numpy.load(corpus["object-array.npy"], allow_pickle=False)
    assert numpy.load(corpus["numeric.npy"], allow_pickle=False).tolist() == [[1, 2], [3, 4]]


# 3. Through the real CLI, on a repository whose data DVC tracks.


def data_check(repo: Path, cli: Cli) -> tuple[int, list[dict[str, Any]]]:
    result = cli("check", "--data", "--json", cwd=repo)
    assert result.code in (0, 1), f"exit {result.code}: {result.err}"
    findings = [
        finding for finding in json.loads(result.out)["findings"] if finding["check"] == "GC701"
    ]
    return result.code, findings


def missing_from(findings: list[dict[str, Any]], shown: str, attack: Attack) -> str | None:
    """Why no finding blames `shown` for the attack, or None."""
    fragments = [shown, *expected_fragments(attack)]
    if any(all(part in str(finding["message"]) for part in fragments) for finding in findings):
        return None
    return f"{shown}: no GC701 finding names all of {fragments}"


CLI_ATTACKS = [
    "a-memo-decoy-torch.pt",
    "b-pop-mark.pkl",
    "c-protocol0.pt",
    "d-legacy-stream4.pt",
    "e-legacy-tar.pt",
    "g-duplicate-malicious-first.pt",
    "h-nested.zip",
    "i-truncated-zip.pt",
    "i-truncated-stream.pt",
    "ext2.pkl",
    "nonliteral-persid.pt",
    "object-array.npy",
    "object-arrays.npz",
    "pytorch_model.bin",
    "v7-tar.ckpt",
    "model.joblib.gz",
]


@pytest.mark.parametrize("relpath", CLI_ATTACKS)
def test_cli_refuses_the_attack(registry: Path, cli: Cli, markers: Path, relpath: str) -> None:
    attack = BY_NAME[relpath]
    name = f"clf{''.join(Path(relpath).suffixes)}"
    replace_model_bytes(registry, cli, name, attack.content(markers))
    code, findings = data_check(registry, cli)
    assert (code, missing_from(findings, f"models/{name}", attack)) == (1, None), findings


def test_cli_refuses_attacks_found_by_content_in_a_directory(
    registry: Path, cli: Cli, markers: Path
) -> None:
    """(f): an upper-case suffix and no suffix at all, beside an ordinary config file."""
    upper, bare = BY_NAME["f-directory/MODEL.PKL"], BY_NAME["f-directory/weights"]
    files = {
        "config.json": b'{"layers": 2}\n',
        "MODEL.PKL": upper.content(markers),
        "weights": bare.content(markers),
    }
    make_model_a_directory(registry, cli, files)
    code, findings = data_check(registry, cli)
    problems = [
        missing_from(findings, f"models/clf/{name}", attack)
        for name, attack in (("MODEL.PKL", upper), ("weights", bare))
    ]
    assert (code, problems) == (1, [None, None]), findings


def test_cli_refuses_every_attack_in_a_directory(registry: Path, cli: Cli, markers: Path) -> None:
    make_model_a_directory(
        registry, cli, {attack.relpath: attack.content(markers) for attack in ATTACKS}
    )
    code, findings = data_check(registry, cli)
    problems = [
        problem
        for attack in ATTACKS
        if (problem := missing_from(findings, f"models/clf/{attack.relpath}", attack))
    ]
    assert (code, problems) == (1, [])


def test_cli_passes_every_benign_file_in_a_directory(registry: Path, cli: Cli) -> None:
    make_model_a_directory(registry, cli, {benign.relpath: benign.content() for benign in BENIGN})
    code, findings = data_check(registry, cli)
    assert (code, findings) == (0, [])


# 4. picklescan and fickling as oracles. Neither is ever asked to load anything.


def picklescan_flags(path: Path) -> bool:
    """picklescan reporting a dangerous global. Its scan errors are not the bar: it reports one for
    text that decodes to a GLOBAL before it breaks (labels.csv), and raises on a zip cut short."""
    from picklescan.scanner import scan_file_path

    with contextlib.suppress(zipfile.BadZipFile):
        return scan_file_path(str(path)).issues_count > 0
    return False


def fickling_flags(path: Path) -> bool:
    """fickling's file scans (every stream; every .pkl/.pickle/.bin member of a zip) rating a stream
    at least LIKELY_OVERTLY_MALICIOUS. Its lower ratings cannot be the bar: it rates every benign
    torch file LIKELY_UNSAFE (a non-standard import, `torch`), and protocol-0 floats and .npy
    headers too. (It prints to stdout on some input.)"""
    import fickling
    from fickling.analysis import Severity

    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        if zipfile.is_zipfile(path):
            results = list(fickling.scan_zip_archive(str(path), graceful=True).values())
        else:
            results = [fickling.scan_file(str(path), graceful=True)]
    return any(result.severity >= Severity.LIKELY_OVERTLY_MALICIOUS for result in results)


ALL_FILES = [attack.relpath for attack in ATTACKS] + [benign.relpath for benign in BENIGN]


@pytest.mark.parametrize("relpath", ALL_FILES)
def test_gitckpt_flags_whatever_picklescan_or_fickling_flags(
    relpath: str, corpus: dict[str, Path]
) -> None:
    path = corpus[relpath]
    flagged_by = [
        tool
        for tool, flags in (("picklescan", picklescan_flags), ("fickling", fickling_flags))
        if flags(path)
    ]
    assert not flagged_by or gc701(relpath, path), (
        f"{relpath} is flagged by {flagged_by}, not by gitckpt"
    )


def test_what_only_gitckpt_flags(corpus: dict[str, Path]) -> None:
    only = [
        relpath
        for relpath, path in corpus.items()
        if gc701(relpath, path) and not picklescan_flags(path) and not fickling_flags(path)
    ]
    assert sorted(only) == sorted(ONLY_GITCKPT)


def test_an_lz4_compressed_file_cannot_be_shown_safe(tmp_path: Path) -> None:
    """joblib loads LZ4 frames when the lz4 package is installed; gitckpt cannot look inside one."""
    compressed = tmp_path / "model.joblib.lz4"
    compressed.write_bytes(b"\x04\x22\x4d\x18" + bytes(range(64)))
    (finding,) = check_pickle(compressed.name, compressed)
    assert finding.check == "GC701" and "LZ4-compressed" in finding.message
