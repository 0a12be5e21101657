"""The VS Code extension packages to a `.vsix`, by the command its README gives, with what it needs to run."""

from __future__ import annotations

import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

EXTENSION = Path(__file__).parent.parent / "editors" / "vscode"


@pytest.fixture(scope="module")
def vsix(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    if shutil.which("npm") is None or shutil.which("npx") is None:
        pytest.skip("npm is not installed (.ci/run installs it)")
    folder = tmp_path_factory.mktemp("vscode") / "vscode"
    shutil.copytree(EXTENSION, folder, ignore=shutil.ignore_patterns("node_modules", "*.vsix"))
    for command in (
        ["npm", "ci", "--no-audit", "--no-fund"],
        ["npx", "vsce", "package", "--allow-missing-repository", "--skip-license", "-o", "policyc.vsix"],
    ):
        done = subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, (command, done.stdout[-2000:], done.stderr[-2000:])
    return zipfile.ZipFile(folder / "policyc.vsix")


@pytest.mark.slow
def test_the_extension_packages_with_its_grammar_client_and_runtime(vsix: zipfile.ZipFile) -> None:
    names = set(vsix.namelist())
    assert {
        "extension.vsixmanifest",
        "extension/package.json",
        "extension/extension.js",
        "extension/language-configuration.json",
        "extension/syntaxes/policy.tmLanguage.json",
        "extension/node_modules/vscode-languageclient/package.json",
    } <= names
    # the packaging tool is a development dependency, left out of what is installed
    assert not any(name.startswith("extension/node_modules/@vscode/vsce/") for name in names)
    manifest = json.loads(vsix.read("extension/package.json"))
    assert manifest["contributes"]["languages"][0]["extensions"] == [".policy"]
    assert json.loads(vsix.read("extension/syntaxes/policy.tmLanguage.json"))["scopeName"] == "source.policy"


@pytest.mark.slow
def test_the_packaged_client_starts_policyc_lsp(vsix: zipfile.ZipFile) -> None:
    client = vsix.read("extension/extension.js").decode("utf-8")
    manifest = json.loads(vsix.read("extension/package.json"))
    settings = manifest["contributes"]["configuration"]["properties"]
    assert settings["policyc.server.command"]["default"] == "policyc"
    assert settings["policyc.server.args"]["default"] == ["lsp"]
    assert 'settings.get("server.command"' in client and "vscode-languageclient/node" in client
