"""The language server over stdio: documents as the editor holds them, checked shortly after each change.

Checks run one at a time in a worker thread, so the protocol keeps answering (completion reads the
current text and the latest index, and needs no fresh check); requests about positions (hover,
definition, references, rename, symbols, semantic tokens) first wait for the check of the text
they are about, hurrying it past its debounce.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import attrs
from lsprotocol import types as lsp
from pygls import uris
from pygls.exceptions import JsonRpcException
from pygls.lsp.server import LanguageServer

from policyc.semantics.builtins import BUILTINS
from policyc.semantics.driver import Result
from policyc.syntax.source import Source
from policyc.version import __version__

from . import completion, edits, hover, symbols, tokens
from .analysis import check_text, index_of, to_lsp, uri_of
from .index import Index, Key, Occurrence
from .positions import offset, span_range

# Long enough that a burst of keystrokes is checked once, short enough that diagnostics follow typing.
DEBOUNCE_SECONDS = 0.05
INDEX_PAUSE_SECONDS = 0.3
REQUEST_FAILED = -32803  # the LSP's code for a request the server understood but cannot carry out
# When a name is sought without an index of the current text, the namespaces tried, most likely first.
LIKELY = ("value", "label", "function", "scale", "domain", "org_type", "cohort", "unit")


@attrs.define(eq=False)
class Document:
    uri: str
    path: str
    source: Source  # the text as the editor holds it
    version: int
    analysed: int = -1  # the version the latest check was of
    result: Result | None = None
    index: Index | None = None  # of the latest text that parsed
    task: asyncio.Task[None] | None = None
    hurry: asyncio.Event = attrs.Factory(asyncio.Event)

    @property
    def text(self) -> str:
        return self.source.text


class PolicyServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("policyc", __version__, text_document_sync_kind=lsp.TextDocumentSyncKind.Incremental)
        self.documents: dict[str, Document] = {}
        self.checker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="policyc-check")

    # ------------------------------------------------------------ checking

    def schedule(self, doc: Document, delay: float) -> None:
        if doc.task is not None and not doc.task.done():
            doc.task.cancel()
        doc.hurry = asyncio.Event()
        doc.task = asyncio.get_running_loop().create_task(self.analyse(doc, doc.version, doc.text, delay))

    async def analyse(self, doc: Document, version: int, text: str, delay: float) -> None:
        await self.pause(doc, delay)
        loop = asyncio.get_running_loop()
        result = await loop.run_in_executor(self.checker, check_text, doc.path, text)
        source = result.sources[doc.path]
        if doc.version != version or self.documents.get(doc.uri) is not doc:
            return
        self.text_document_publish_diagnostics(
            lsp.PublishDiagnosticsParams(uri=doc.uri, version=version, diagnostics=to_lsp(result, source, doc.uri))
        )
        doc.result = result
        # The index waits for a pause in typing (or a request that needs it): built from text with
        # errors, it parses the text again, and a check of the next keystroke should not wait behind it.
        await self.pause(doc, INDEX_PAUSE_SECONDS if delay else 0)
        try:
            index = await loop.run_in_executor(self.checker, index_of, result, source)
        except Exception as error:  # the diagnostics are out; hover and the rest keep the index they had
            self.log(f"policyc: internal error while indexing {doc.path}: {type(error).__name__}: {error}")
            index = None
        if doc.version != version or self.documents.get(doc.uri) is not doc:
            return
        doc.analysed = version
        if index is not None:
            doc.index = index
            if self.refreshes_tokens:
                self.workspace_semantic_tokens_refresh(None)

    def log(self, message: str) -> None:
        self.window_log_message(lsp.LogMessageParams(type=lsp.MessageType.Error, message=message))

    @staticmethod
    async def pause(doc: Document, seconds: float) -> None:
        """Wait `seconds`, or less if a request hurries the document."""
        try:
            await asyncio.wait_for(doc.hurry.wait(), seconds)
        except TimeoutError:
            pass

    @property
    def refreshes_tokens(self) -> bool:
        workspace = self.client_capabilities.workspace
        tokens = workspace.semantic_tokens if workspace is not None else None
        return bool(tokens and tokens.refresh_support)

    async def current(self, doc: Document) -> Index | None:
        """The index of the document's current text (or the latest that parsed), once it is checked."""
        while doc.analysed != doc.version and doc.task is not None:
            task = doc.task
            doc.hurry.set()
            await asyncio.wait({task})
            if doc.task is task:  # no change since: this was the check of the current text
                break
        return doc.index

    def dependents(self, path: str) -> Iterator[Document]:
        """The open documents that read a file as their base."""
        for doc in self.documents.values():
            if doc.path != path and doc.result is not None and path in doc.result.sources:
                yield doc

    # ------------------------------------------------------------ positions and names

    def key_at(self, doc: Document, index: Index, where: lsp.Position) -> Key | None:
        at = offset(doc.source, where)
        if index.sources.get(doc.path) == doc.source:
            found = index.at(doc.path, at)
            return found.key if found is not None else None
        # The text does not parse: the name under the cursor, in the namespace it most likely has.
        word = _word_at(doc.text, at)
        for kind in LIKELY:
            if word and (index.of((kind, word)) or (kind == "function" and word in BUILTINS)):
                return (kind, word)
        return None

    def related(self, doc: Document) -> list[Index]:
        """The indexes that share files with this document's: its own, its base's and its variants'."""
        own = doc.index
        if own is None:
            return []
        files = set(own.sources)
        out = [own]
        for other in self.documents.values():
            if other is not doc and other.index is not None and files & set(other.index.sources):
                out.append(other.index)
        return out

    def occurrences(self, doc: Document, key: Key) -> list[tuple[Occurrence, Source]]:
        """Every occurrence of a name across related documents; an open file's own come from its own index."""
        open_paths = {d.path: d for d in self.documents.values()}
        out = []
        for index in self.related(doc):
            for item in index.of(key):
                file = item.span.file
                owner = open_paths.get(file)
                if owner is not None and owner.index is not index:
                    continue
                out.append((item, index.sources[file]))
        return out

    def location(self, item: Occurrence, source: Source) -> lsp.Location:
        return lsp.Location(uri=self.uri_for(item.span.file), range=span_range(source, item.span))

    def uri_for(self, file: str) -> str:
        for doc in self.documents.values():
            if doc.path == file:
                return doc.uri
        return uri_of(file)


def _word_at(text: str, at: int) -> str:
    start = at
    while start > 0 and (text[start - 1].isalnum() or text[start - 1] == "_"):
        start -= 1
    end = at
    while end < len(text) and (text[end].isalnum() or text[end] == "_"):
        end += 1
    return text[start:end]


def path_of(uri: str) -> str:
    return uris.to_fs_path(uri) or uri


F = TypeVar("F", bound=Callable[..., Any])


def guarded(default: Any = None) -> Callable[[F], F]:
    """A handler whose failure is logged in one line and answered with `default`: a bug of ours is no traceback."""

    def wrap(handler: F) -> F:
        def report(server: PolicyServer, error: Exception) -> None:
            server.log(f"policyc: internal error in {handler.__name__}: {type(error).__name__}: {error}")

        if asyncio.iscoroutinefunction(handler):

            @functools.wraps(handler)
            async def run_async(server: PolicyServer, params: Any) -> Any:
                try:
                    return await handler(server, params)
                except JsonRpcException:
                    raise
                except Exception as error:
                    report(server, error)
                    return default

            return run_async  # type: ignore[return-value]

        @functools.wraps(handler)
        def run(server: PolicyServer, params: Any) -> Any:
            try:
                return handler(server, params)
            except JsonRpcException:
                raise
            except Exception as error:
                report(server, error)
                return default

        return run  # type: ignore[return-value]

    return wrap


def create_server() -> PolicyServer:
    server = PolicyServer()

    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    @guarded()
    def did_open(ls: PolicyServer, params: lsp.DidOpenTextDocumentParams) -> None:
        item = params.text_document
        path = path_of(item.uri)
        doc = Document(item.uri, path, Source(path, item.text), item.version)
        ls.documents[item.uri] = doc
        ls.schedule(doc, 0)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    @guarded()
    def did_change(ls: PolicyServer, params: lsp.DidChangeTextDocumentParams) -> None:
        doc = ls.documents.get(params.text_document.uri)
        if doc is None:
            return
        doc.source = Source(doc.path, ls.workspace.get_text_document(doc.uri).source)
        doc.version = params.text_document.version
        ls.schedule(doc, DEBOUNCE_SECONDS)

    @server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
    @guarded()
    def did_save(ls: PolicyServer, params: lsp.DidSaveTextDocumentParams) -> None:
        doc = ls.documents.get(params.text_document.uri)
        if doc is not None:
            for variant in list(ls.dependents(doc.path)):  # they read their base from the disk
                ls.schedule(variant, 0)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    @guarded()
    def did_close(ls: PolicyServer, params: lsp.DidCloseTextDocumentParams) -> None:
        doc = ls.documents.pop(params.text_document.uri, None)
        if doc is not None and doc.task is not None:
            doc.task.cancel()
        ls.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=params.text_document.uri, diagnostics=[]))

    @server.feature(lsp.TEXT_DOCUMENT_HOVER)
    @guarded()
    async def on_hover(ls: PolicyServer, params: lsp.HoverParams) -> lsp.Hover | None:
        doc = ls.documents.get(params.text_document.uri)
        index = await ls.current(doc) if doc is not None else None
        if doc is None or index is None:
            return None
        key = ls.key_at(doc, index, params.position)
        text = hover.hover_text(key, index) if key is not None else None
        if text is None:
            return None
        return lsp.Hover(contents=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=text))

    @server.feature(lsp.TEXT_DOCUMENT_DEFINITION)
    @guarded(default=[])
    async def on_definition(ls: PolicyServer, params: lsp.DefinitionParams) -> list[lsp.Location]:
        doc = ls.documents.get(params.text_document.uri)
        index = await ls.current(doc) if doc is not None else None
        if doc is None or index is None:
            return []
        key = ls.key_at(doc, index, params.position)
        if key is None:
            return []
        return [ls.location(item, source) for item, source in ls.occurrences(doc, key) if item.definition]

    @server.feature(lsp.TEXT_DOCUMENT_REFERENCES)
    @guarded(default=[])
    async def on_references(ls: PolicyServer, params: lsp.ReferenceParams) -> list[lsp.Location]:
        doc = ls.documents.get(params.text_document.uri)
        index = await ls.current(doc) if doc is not None else None
        if doc is None or index is None:
            return []
        key = ls.key_at(doc, index, params.position)
        if key is None:
            return []
        wanted = params.context.include_declaration
        return [ls.location(item, source) for item, source in ls.occurrences(doc, key) if wanted or not item.definition]

    @server.feature(
        lsp.TEXT_DOCUMENT_COMPLETION, lsp.CompletionOptions(trigger_characters=[".", "/"], resolve_provider=False)
    )
    @guarded()
    def on_completion(ls: PolicyServer, params: lsp.CompletionParams) -> lsp.CompletionList | None:
        doc = ls.documents.get(params.text_document.uri)
        if doc is None:
            return None
        items = completion.complete(doc.text, offset(doc.source, params.position), doc.index)
        return lsp.CompletionList(is_incomplete=False, items=items)

    @server.feature(lsp.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    @guarded(default=[])
    async def on_symbols(ls: PolicyServer, params: lsp.DocumentSymbolParams) -> list[lsp.DocumentSymbol]:
        doc = ls.documents.get(params.text_document.uri)
        index = await ls.current(doc) if doc is not None else None
        if doc is None or index is None or doc.path not in index.sources:
            return []
        return symbols.document_symbols(index.policy, index.sources[doc.path])

    @server.feature(lsp.TEXT_DOCUMENT_FORMATTING)
    @guarded(default=[])
    def on_formatting(ls: PolicyServer, params: lsp.DocumentFormattingParams) -> list[lsp.TextEdit]:
        doc = ls.documents.get(params.text_document.uri)
        return edits.formatting(doc.source) if doc is not None else []

    @server.feature(lsp.TEXT_DOCUMENT_PREPARE_RENAME)
    @guarded()
    async def on_prepare_rename(ls: PolicyServer, params: lsp.PrepareRenameParams) -> lsp.Range | None:
        doc = ls.documents.get(params.text_document.uri)
        index = await ls.current(doc) if doc is not None else None
        if doc is None or index is None or index.sources.get(doc.path) != doc.source:
            return None
        found = index.at(doc.path, offset(doc.source, params.position))
        if found is None or found.key[0] not in edits.RENAMEABLE:
            return None
        return span_range(doc.source, found.span)

    @server.feature(lsp.TEXT_DOCUMENT_RENAME, lsp.RenameOptions(prepare_provider=True))
    @guarded()
    async def on_rename(ls: PolicyServer, params: lsp.RenameParams) -> lsp.WorkspaceEdit | None:
        doc = ls.documents.get(params.text_document.uri)
        index = await ls.current(doc) if doc is not None else None
        if doc is None or index is None or index.sources.get(doc.path) != doc.source:
            raise JsonRpcException("fix the syntax errors before renaming", REQUEST_FAILED)
        key = ls.key_at(doc, index, params.position)
        if key is None:
            raise JsonRpcException("there is no name here to rename", REQUEST_FAILED)
        try:
            edits.check_rename(key, params.new_name, ls.related(doc))
        except edits.RenameRefused as refused:
            raise JsonRpcException(str(refused), REQUEST_FAILED) from refused
        return edits.rename_edits(params.new_name, ls.occurrences(doc, key), ls.uri_for)

    @server.feature(
        lsp.TEXT_DOCUMENT_CODE_ACTION, lsp.CodeActionOptions(code_action_kinds=[lsp.CodeActionKind.QuickFix])
    )
    @guarded(default=[])
    def on_code_action(ls: PolicyServer, params: lsp.CodeActionParams) -> list[lsp.CodeAction]:
        return edits.quick_fixes(params.text_document.uri, params.context.diagnostics)

    @server.feature(lsp.TEXT_DOCUMENT_SEMANTIC_TOKENS_FULL, tokens.LEGEND)
    @guarded()
    def on_semantic_tokens(ls: PolicyServer, params: lsp.SemanticTokensParams) -> lsp.SemanticTokens | None:
        doc = ls.documents.get(params.text_document.uri)
        if doc is None:
            return None
        # No wait for the index: until it is built the lexer's kinds serve, and a refresh follows it.
        return lsp.SemanticTokens(data=tokens.semantic_tokens(doc.source, doc.index))

    return server


def serve() -> None:
    """Speak the protocol on standard input and output until the editor says exit."""
    create_server().start_io()
