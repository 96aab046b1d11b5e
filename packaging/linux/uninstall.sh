#!/usr/bin/env bash
# Remove what packaging/linux/install.sh installed for the current user. Safe to run twice.
# XDG_DATA_HOME and LIVEPREDICT_BIN_DIR are honoured the same way as by install.sh.
set -euo pipefail
DATA=${XDG_DATA_HOME:-$HOME/.local/share}
BIN=${LIVEPREDICT_BIN_DIR:-$HOME/.local/bin}
APPDIR=$DATA/livepredict

# Only remove the command link if it is ours (points into the installed bundle).
if [ -L "$BIN/livepredict" ] && [ "$(readlink "$BIN/livepredict")" = "$APPDIR/livepredict" ]; then
  rm -f "$BIN/livepredict"
fi
rm -f "$DATA/applications/livepredict.desktop" "$DATA/mime/packages/livepredict.xml"
rm -f "$DATA"/icons/hicolor/*/apps/livepredict.png "$DATA/icons/hicolor/scalable/apps/livepredict.svg"
# Defaults set by install.sh (xdg-mime default) for .keras and .tflite files.
for list in "${XDG_CONFIG_HOME:-$HOME/.config}/mimeapps.list" "$DATA/applications/mimeapps.list"; do
  if [ -f "$list" ]; then
    sed -i '/^application\/x-\(keras\|tflite\)=livepredict\.desktop;\?$/d' "$list"
  fi
done
refresh() {  # refresh a cache a desktop reads, if the folder and the tool exist
  local dir=$1; shift
  if [ -d "$dir" ] && command -v "$1" >/dev/null 2>&1; then "$@" "$dir" >/dev/null 2>&1 || true; fi
}
refresh "$DATA/mime" update-mime-database
refresh "$DATA/applications" update-desktop-database -q
refresh "$DATA/icons/hicolor" gtk-update-icon-cache -q -t -f
# Last: the bundle itself (this script may live inside it; bash has already read it).
rm -rf "$APPDIR" "$APPDIR.new"
echo "Live Predict removed from $DATA (your settings and model cache are kept; see the README)."
