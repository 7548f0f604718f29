#!/usr/bin/env bash
# ClamAV for the document-scanning tests (docs/decisions/0008-documents.md), offline:
#   .ci/clamd.sh install      Debian's clamav + clamav-daemon if missing (non-interactive,
#                             freshclam's automatic updates off: its mirrors are not reachable
#                             from CI, and the tests need only the EICAR signature)
#   .ci/clamd.sh start DIR    an EICAR-only signature database (the file's hash, and the string
#                             anywhere in a file) and a clamd listening on the
#                             unix socket DIR/clamd.sock (no TCP port, so parallel runs never
#                             clash); prints the socket path
#   .ci/clamd.sh stop DIR     stops the clamd started in DIR, by its process id
# tests/core/test_documents_clamav.py starts and stops its own daemon through this script.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
EICAR='X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*'

clamd_bin() { command -v clamd || { [ -x /usr/sbin/clamd ] && echo /usr/sbin/clamd; } || true; }

install_clamav() {
  if [ -n "$(clamd_bin)" ] && command -v sigtool >/dev/null; then return 0; fi
  echo "clamd: installing Debian's clamav and clamav-daemon"
  echo 'clamav-freshclam clamav-freshclam/autoupdate_freshclam select manual' | debconf-set-selections
  # Keep the packages' scripts from starting freshclam or clamd as services.
  local made_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && made_policy=1
  fi
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends clamav clamav-daemon >/dev/null
  if [ "$made_policy" = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi
}

start_clamd() {
  local dir=$1 bin
  bin=$(clamd_bin)
  [ -n "$bin" ] || { echo "clamd: not installed (run: .ci/clamd.sh install)" >&2; exit 1; }
  mkdir -p "$dir/db"
  printf '%s' "$EICAR" >"$dir/eicar.com"
  # The whole-file hash (the 68-byte EICAR file itself) ...
  (cd "$dir" && sigtool --md5 eicar.com) | sed 's/:eicar.com$/:Eicar-Test-Signature/' >"$dir/db/eicar.hdb"
  # ... and the EICAR string anywhere in a file, so a PDF carrying it is found too (uploads are
  # PDFs, DOCX, JPEGs and PNGs: the bare EICAR file never gets past the type check).
  printf 'Eicar-Test-Signature-Embedded:0:*:%s\n' "$(printf '%s' "$EICAR" | od -An -tx1 | tr -d ' \n')" >"$dir/db/eicar.ndb"
  cat >"$dir/clamd.conf" <<CONF
DatabaseDirectory $dir/db
LocalSocket $dir/clamd.sock
LocalSocketMode 660
FixStaleSocket yes
Foreground yes
PidFile $dir/clamd.pid
LogFile $dir/clamd.log
MaxThreads 2
StreamMaxLength 25M
SelfCheck 0
CONF
  nohup "$bin" -c "$dir/clamd.conf" >"$dir/clamd.stdout" 2>&1 &
  echo $! >"$dir/clamd.process"
  for _ in $(seq 200); do
    [ -S "$dir/clamd.sock" ] && { echo "$dir/clamd.sock"; return 0; }
    sleep 0.05
  done
  echo "clamd: did not start; see $dir/clamd.log" >&2
  cat "$dir/clamd.stdout" >&2 || true
  exit 1
}

stop_clamd() {
  local dir=$1
  if [ -f "$dir/clamd.process" ]; then
    kill "$(cat "$dir/clamd.process")" 2>/dev/null || true
    rm -f "$dir/clamd.process"
  fi
}

case "${1:-}" in
  install) install_clamav ;;
  start) start_clamd "${2:?directory}" ;;
  stop) stop_clamd "${2:?directory}" ;;
  *) echo "usage: $0 install | start DIR | stop DIR" >&2; exit 2 ;;
esac
