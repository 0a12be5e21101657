// Starts `policyc lsp` for .policy files and restarts it when its settings change.
"use strict";

const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

function serverOptions() {
  const settings = vscode.workspace.getConfiguration("policyc");
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? "";
  // A path written with ${workspaceFolder} reaches a virtual environment inside the project.
  const command = settings.get("server.command", "policyc").replace("${workspaceFolder}", folder);
  const args = settings.get("server.args", ["lsp"]);
  return { command, args, transport: TransportKind.stdio, options: folder ? { cwd: folder } : {} };
}

async function start() {
  client = new LanguageClient("policyc", "policyc", serverOptions(), {
    documentSelector: [
      { scheme: "file", language: "policy" },
      { scheme: "untitled", language: "policy" },
    ],
  });
  try {
    await client.start();
  } catch (error) {
    const { command } = serverOptions();
    vscode.window.showErrorMessage(
      `policyc: cannot start the language server with \`${command} lsp\` (${error.message}). ` +
        "Install policyc with its lsp extra (pip install 'policyc[lsp]') or set policyc.server.command.",
    );
  }
}

async function restart() {
  if (client) {
    await client.stop().catch(() => undefined);
  }
  await start();
}

async function activate(context) {
  context.subscriptions.push(
    vscode.commands.registerCommand("policyc.restartServer", restart),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration("policyc.server")) {
        restart();
      }
    }),
  );
  await start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
