"""What a pickle would import when loaded, found by running the pickle machine over its opcodes
symbolically: the stack, the memo and the marks are simulated, nothing is ever loaded.

A global is only known when its module and name are literal strings on the stack (GLOBAL and
INST carry them as arguments; STACK_GLOBAL takes them from the stack, which may have been filled
from the memo, after MARK / POP_MARK games, or by an earlier call). Anything else is a problem that
makes the stream impossible to show safe: operands that are not literal strings, EXT1/2/4 (imports
through the copyreg registry), a memo key never stored, a MARK used as a value, a malformed or
truncated stream.

Written here rather than with fickling: fickling's interpreter invents names for non-literal
STACK_GLOBAL operands instead of refusing them, cannot resolve EXT codes (its safety check raises),
reports no imports at all once it hits its default limits (a benign 40,000-tensor checkpoint),
and took 6-7x the time and 10x the memory of this simulator on 1.2M opcodes.
"""

from __future__ import annotations

import _compat_pickle
import pickletools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Protocol, cast

STRING_OPCODES = frozenset(
    {
        "SHORT_BINUNICODE",
        "BINUNICODE",
        "BINUNICODE8",
        "UNICODE",
        "STRING",
        "BINSTRING",
        "SHORT_BINSTRING",
    }
)
IMPORT_OPCODES = frozenset({"GLOBAL", "INST", "STACK_GLOBAL"})
EXTENSION_OPCODES = frozenset({"EXT1", "EXT2", "EXT4"})
MEMO_PUTS = frozenset({"PUT", "BINPUT", "LONG_BINPUT"})
MEMO_GETS = frozenset({"GET", "BINGET", "LONG_BINGET"})
_MARK = object()  # a MARK on the simulated stack
_VALUE = object()  # any value the simulation does not need to know


def _stack_effect(opcode: pickletools.OpcodeInfo) -> tuple[int, bool, int]:
    """(values popped above the mark, whether a MARK and what is above it is popped first, values
    pushed)."""
    before = list(opcode.stack_before)
    takes_mark = pickletools.markobject in before
    return (
        len(before[: before.index(pickletools.markobject)] if takes_mark else before),
        takes_mark,
        len(opcode.stack_after),
    )


STACK_EFFECTS = {opcode.name: _stack_effect(opcode) for opcode in pickletools.opcodes}


class Readable(Protocol):
    def read(self, count: int = -1, /) -> bytes: ...

    def readline(self, limit: int = -1, /) -> bytes: ...

    def tell(self) -> int: ...


class Literal(str):
    """A string a string opcode pushed: the only operand STACK_GLOBAL may import by."""


class UnsafeStream(Exception):
    """The stream cannot be shown safe; the message says why and at which opcode."""


@dataclass(frozen=True)
class Import:
    module: str
    name: str
    opcode: str
    offset: int

    @property
    def dotted(self) -> str:
        return f"{self.module}.{self.name}"


@dataclass
class Stream:
    """One pickle stream: where it starts, what it imports, why it cannot be shown safe, and
    whether it decoded to its STOP (a stream that does not is no pickle, or a damaged one)."""

    start: int
    imports: list[Import] = field(default_factory=list)
    problem: str | None = (
        None  # the first thing that makes it unsafe, or the reason it does not decode
    )
    complete: bool = False
    simulated: bool = True  # the machine ran every opcode it decoded without a problem

    @property
    def ran_imports_before_breaking(self) -> bool:
        """An unpickler runs opcodes until one fails: a stream that imports, simulates cleanly and
        only then stops decoding has done its work before the error (text does not get that far)."""
        return not self.complete and self.simulated and bool(self.imports)


def read_streams(handle: Readable, size: int, *, limit: int | None = None) -> Iterator[Stream]:
    """Each pickle stream from the handle's position to byte `size` (at most `limit` of them); a
    stream that does not decode to its STOP is the last, since where a next one starts is
    unknown."""
    bounded = _Bounded(handle, size)
    count = 0
    while (limit is None or count < limit) and bounded.remaining() > 0:
        stream = read_stream(bounded)
        count += 1
        yield stream
        if not stream.complete:
            return


def read_stream(handle: Readable) -> Stream:
    """The stream starting at the handle's position, decoded up to and including its STOP; after
    the first problem the simulation stops, the decoding goes on (to tell a damaged pickle from a
    dangerous one)."""
    stream = Stream(start=handle.tell())
    machine: _Machine | None = _Machine(stream)
    try:
        for opcode, argument, offset in pickletools.genops(cast(IO[bytes], handle)):
            if machine is None:
                continue
            try:
                machine.step(opcode, argument, offset)
            except UnsafeStream as error:
                stream.problem, stream.simulated, machine = str(error), False, None
        stream.complete = True
    except (
        ValueError,
        UnicodeDecodeError,
    ) as error:  # what genops raises on bytes that are no pickle
        stream.problem = (
            stream.problem or f"not a readable pickle from offset {stream.start}: {error}"
        )
    return stream


class _Bounded:
    """A binary handle that never reads past `size`: a length an opcode claims cannot make a read
    allocate more than the bytes that are there. It counts what it reads instead of asking."""

    def __init__(self, handle: Readable, size: int) -> None:
        self.handle = handle
        self.size = size
        self.position = handle.tell()

    def remaining(self) -> int:
        return self.size - self.position

    def read(self, count: int = -1, /) -> bytes:
        left = self.size - self.position
        data = self.handle.read(left if count < 0 or count > left else count) if left > 0 else b""
        self.position += len(data)
        return data

    def readline(self, limit: int = -1, /) -> bytes:
        left = self.size - self.position
        data = (
            self.handle.readline(left if limit < 0 or limit > left else limit) if left > 0 else b""
        )
        self.position += len(data)
        return data

    def tell(self) -> int:
        return self.position


class _Machine:
    """The pickle machine's stack, memo and marks, holding literal strings and nothing else."""

    def __init__(self, stream: Stream) -> None:
        self.stream = stream
        self.stack: list[object] = []
        self.memo: dict[int, object] = {}
        self.protocol = 0  # until a PROTO opcode says otherwise

    def step(self, opcode: pickletools.OpcodeInfo, argument: object, offset: int | None) -> None:
        name, at = opcode.name, offset or 0
        if name in STRING_OPCODES:
            self.stack.append(Literal(argument) if isinstance(argument, str) else _VALUE)
        elif name == "MARK":
            self.stack.append(_MARK)
        elif name in IMPORT_OPCODES:
            self._import(name, argument, at)
        elif name in EXTENSION_OPCODES:
            raise UnsafeStream(
                f"{name} {argument} at offset {at} imports through the copyreg extension registry"
            )
        elif name in MEMO_PUTS or name == "MEMOIZE":
            key = len(self.memo) if name == "MEMOIZE" else int(str(argument))
            self.memo[key] = self._top(name, at)
        elif name in MEMO_GETS:
            key = int(str(argument))
            if key not in self.memo:
                raise UnsafeStream(
                    f"{name} {key} at offset {at} fetches a memo entry that was never stored"
                )
            self.stack.append(self.memo[key])
        elif name == "DUP":
            self.stack.append(self._top(name, at))
        elif name == "PROTO":
            self.protocol = int(str(argument))
        else:
            self._generic(opcode, at)

    def _import(self, name: str, argument: object, at: int) -> None:
        if name == "STACK_GLOBAL":
            attribute = self._pop(name, at)
            module = self._pop(name, at)
            if not (isinstance(module, Literal) and isinstance(attribute, Literal)):
                raise UnsafeStream(
                    f"STACK_GLOBAL at offset {at} imports by operands that are not literal strings"
                )
        else:
            module, _, attribute = str(argument).partition(" ")
        module, attribute = self._as_unpickled(str(module), str(attribute))
        self.stream.imports.append(Import(module, attribute, name, at))
        if name == "INST":
            self._pop_mark(name, at)
        self.stack.append(_VALUE)

    def _as_unpickled(self, module: str, attribute: str) -> tuple[str, str]:
        """The name the unpickler imports: below protocol 3 it maps Python 2 names (`__builtin__`,
        `copy_reg`, …) to Python 3's, as `pickle.Unpickler.find_class` does."""
        if self.protocol >= 3:
            return module, attribute
        if (module, attribute) in _compat_pickle.NAME_MAPPING:
            mapped: tuple[str, str] = _compat_pickle.NAME_MAPPING[(module, attribute)]
            return mapped
        return _compat_pickle.IMPORT_MAPPING.get(module, module), attribute

    def _generic(self, opcode: pickletools.OpcodeInfo, at: int) -> None:
        """Any other opcode, by the stack effect pickletools documents for it."""
        pops, takes_mark, pushes = STACK_EFFECTS[opcode.name]
        if takes_mark:
            self._pop_mark(opcode.name, at)
        for _ in range(pops):
            if self._pop(opcode.name, at) is _MARK:
                raise UnsafeStream(f"{opcode.name} at offset {at} takes a MARK as a value")
        self.stack.extend([_VALUE] * pushes)

    def _pop_mark(self, name: str, at: int) -> None:
        while self._pop(name, at) is not _MARK:
            pass

    def _pop(self, name: str, at: int) -> object:
        if not self.stack:
            raise UnsafeStream(f"{name} at offset {at} pops an empty stack")
        return self.stack.pop()

    def _top(self, name: str, at: int) -> object:
        if not self.stack:
            raise UnsafeStream(f"{name} at offset {at} reads an empty stack")
        return self.stack[-1]
