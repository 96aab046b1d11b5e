#!/usr/bin/env bash
# System libraries Qt needs to open windows on Linux, plus Xvfb for the real-window tests and
# headless Chromium for the feed page test (tests/unit/feed/test_feed_page.py).
# desktop-file-utils, shared-mime-info, xdotool and x11-utils: the packaging tests (desktop entry,
# MIME types, timing the frozen bundle's window).
# On Debian/Ubuntu as root they are installed; elsewhere the exact command is printed.
set -euo pipefail
PKGS="xvfb xauth libxcb-cursor0 libxkbcommon-x11-0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 \
libxcb-randr0 libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-xkb1 libxcb-xfixes0 \
libegl1 libgl1 libfontconfig1 libdbus-1-3 libxkbcommon0 libglib2.0-0 \
chromium-headless-shell desktop-file-utils shared-mime-info xdotool x11-utils"
missing=""
if command -v dpkg-query >/dev/null 2>&1; then
  for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
  done
else
  echo "livepredict: not a Debian system; install the equivalents of:$PKGS" >&2
  exit 0
fi
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "livepredict: installing system packages:$missing" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $missing >/dev/null
else
  echo "livepredict: missing system packages; run: sudo apt-get install$missing" >&2
fi
