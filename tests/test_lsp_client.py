"""A small language-server client as an editor is one: JSON-RPC with Content-Length framing over a process's stdio.

The language-server tests and `bench/lsp_speed.py` drive `policyc lsp` through it; the tests here
hold its framing to the protocol's.
"""

from __future__ import annotations

import itertools
import json
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lsprotocol import types as lsp
from lsprotocol.converters import get_converter

ROOT = Path(__file__).resolve().parent.parent
CONVERTER = get_converter()


class Framer:
    """Bytes in, whole messages out: a header block, a blank line, then Content-Length bytes of JSON."""

    def __init__(self) -> None:
        self.buffer = b""

    def feed(self, data: bytes) -> list[dict[str, Any]]:
        self.buffer += data
        out = []
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return out
            headers = dict(
                line.split(": ", 1) for line in self.buffer[:end].decode("ascii").split("\r\n") if ": " in line
            )
            length = int(headers["Content-Length"])
            if len(self.buffer) < end + 4 + length:
                return out
            body = self.buffer[end + 4 : end + 4 + length]
            self.buffer = self.buffer[end + 4 + length :]
            out.append(json.loads(body.decode("utf-8")))


def frame(message: dict[str, Any]) -> bytes:
    body = json.dumps(message).encode("utf-8")
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


class ServerError(Exception):
    def __init__(self, error: dict[str, Any]) -> None:
        super().__init__(error.get("message"))
        self.code = error.get("code")


def policyc_command() -> list[str]:
    script = Path(sys.executable).parent / "policyc"
    if script.exists():
        return [str(script), "lsp"]
    return [sys.executable, "-c", "from policyc.cli import main; main()", "lsp"]


# What the client says it can do, as an editor such as VS Code says it.
EDITOR = lsp.ClientCapabilities(
    text_document=lsp.TextDocumentClientCapabilities(
        hover=lsp.HoverClientCapabilities(content_format=[lsp.MarkupKind.Markdown, lsp.MarkupKind.PlainText]),
        rename=lsp.RenameClientCapabilities(prepare_support=True),
        document_symbol=lsp.DocumentSymbolClientCapabilities(hierarchical_document_symbol_support=True),
        publish_diagnostics=lsp.PublishDiagnosticsClientCapabilities(related_information=True, version_support=True),
    ),
    general=lsp.GeneralClientCapabilities(position_encodings=[lsp.PositionEncodingKind.Utf16]),
)


class Client:
    """`policyc lsp` in a subprocess, spoken to as an editor speaks to it."""

    def __init__(self, timeout: float = 20.0) -> None:
        self.timeout = timeout
        self.process = subprocess.Popen(
            policyc_command(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT
        )
        self.ids = itertools.count(1)
        self.inbox: queue.Queue[dict[str, Any]] = queue.Queue()
        self.notifications: list[dict[str, Any]] = []
        self.stderr = b""
        self.initialized: lsp.InitializeResult | None = None
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._read_stderr, daemon=True).start()

    def _read(self) -> None:
        framer = Framer()
        assert self.process.stdout is not None
        while chunk := self.process.stdout.read1(65536):
            for message in framer.feed(chunk):
                self.inbox.put(message)

    def _read_stderr(self) -> None:
        assert self.process.stderr is not None
        while chunk := self.process.stderr.read1(65536):
            self.stderr += chunk

    def send(self, message: dict[str, Any]) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(frame({"jsonrpc": "2.0", **message}))
        self.process.stdin.flush()

    def notify(self, method: str, params: Any) -> None:
        self.send({"method": method, "params": CONVERTER.unstructure(params)})

    def _next(self, deadline: float) -> dict[str, Any]:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"no answer from the server in {self.timeout} s; its stderr: {self.stderr.decode()}")
        try:
            message = self.inbox.get(timeout=remaining)
        except queue.Empty:
            raise TimeoutError(f"no answer from the server; its stderr: {self.stderr.decode()}") from None
        if "method" in message and "id" in message:  # the server asks something of the editor
            self.send({"id": message["id"], "result": None})
        elif "method" in message:
            self.notifications.append(message)
        return message

    def request(self, method: str, params: Any, result_type: Any = None) -> Any:
        ident = next(self.ids)
        self.send({"id": ident, "method": method, "params": CONVERTER.unstructure(params)})
        deadline = time.monotonic() + self.timeout
        while True:
            message = self._next(deadline)
            if message.get("id") == ident and "method" not in message:
                if "error" in message:
                    raise ServerError(message["error"])
                result = message.get("result")
                return CONVERTER.structure(result, result_type) if result_type is not None else result

    def wait_notification(self, method: str, accept: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        """The params of the first notification (already received or to come) that `accept` takes; it is consumed."""
        deadline = time.monotonic() + self.timeout
        while True:
            for n, message in enumerate(self.notifications):
                if message["method"] == method and accept(message["params"]):
                    del self.notifications[n]
                    return message["params"]
            self._next(deadline)

    def diagnostics(self, uri: str, version: int | None = None) -> list[lsp.Diagnostic]:
        params = self.wait_notification(
            "textDocument/publishDiagnostics",
            lambda p: p["uri"] == uri and (version is None or p.get("version") == version),
        )
        return CONVERTER.structure(params["diagnostics"], list[lsp.Diagnostic])

    def initialize(self) -> lsp.InitializeResult:
        result = self.request(
            "initialize",
            lsp.InitializeParams(capabilities=EDITOR, process_id=None, root_uri=ROOT.as_uri(), workspace_folders=None),
            lsp.InitializeResult,
        )
        self.notify("initialized", lsp.InitializedParams())
        self.initialized = result
        return result

    def open(self, path: Path, text: str | None = None, version: int = 1) -> str:
        uri = path.resolve().as_uri()
        body = path.read_text(encoding="utf-8") if text is None else text
        item = lsp.TextDocumentItem(uri=uri, language_id="policy", version=version, text=body)
        self.notify("textDocument/didOpen", lsp.DidOpenTextDocumentParams(item))
        return uri

    def change(self, uri: str, version: int, changes: list[lsp.TextDocumentContentChangeEvent]) -> None:
        self.notify(
            "textDocument/didChange",
            lsp.DidChangeTextDocumentParams(lsp.VersionedTextDocumentIdentifier(uri=uri, version=version), changes),
        )

    def close(self) -> int:
        """Shutdown and exit, as an editor ends a session; the server's exit status."""
        self.request("shutdown", None)
        self.send({"method": "exit"})
        try:
            return self.process.wait(timeout=self.timeout)
        finally:
            self.kill()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def position_of(text: str, needle: str, *, nth: int = 0, within: int = 0) -> lsp.Position:
    """The editor's position of the start of the nth `needle` in `text`, moved `within` characters into it."""
    at = -1
    for _ in range(nth + 1):
        at = text.index(needle, at + 1)
    at += within
    line = text.count("\n", 0, at)
    line_start = text.rfind("\n", 0, at) + 1
    return lsp.Position(line=line, character=len(text[line_start:at].encode("utf-16-le")) // 2)


# ---------------------------------------------------------------- the framing itself


def test_a_message_split_anywhere_is_read_whole() -> None:
    messages = [{"jsonrpc": "2.0", "id": 1, "result": {"text": "é £ 𝔸"}}, {"jsonrpc": "2.0", "method": "exit"}]
    data = b"".join(frame(m) for m in messages)
    for cut in range(1, len(data)):
        framer = Framer()
        assert framer.feed(data[:cut]) + framer.feed(data[cut:]) == messages


def test_headers_besides_the_length_are_ignored() -> None:
    body = b'{"jsonrpc": "2.0", "method": "exit"}'
    data = b"Content-Type: application/vscode-jsonrpc; charset=utf-8\r\nContent-Length: %d\r\n\r\n" % len(body) + body
    assert Framer().feed(data) == [{"jsonrpc": "2.0", "method": "exit"}]


def test_position_counts_utf16_code_units() -> None:
    assert position_of("a\n𝔸x", "x") == lsp.Position(line=1, character=2)
