#!/usr/bin/env bash
# Install the Live Predict bundle for the current user (no root needed):
#   ~/.local/share/livepredict/           the bundle (a copy of dist/livepredict)
#   ~/.local/bin/livepredict              a link to its executable (the CLI and the window)
#   ~/.local/share/applications/livepredict.desktop      the menu entry (opens .keras/.h5/.tflite)
#   ~/.local/share/icons/hicolor/*/apps/livepredict.*    the icon in every size
#   ~/.local/share/mime/packages/livepredict.xml         the .keras/.tflite file types
#
# Usage: packaging/linux/install.sh [BUNDLE_DIR]    (from the source tree; default dist/livepredict)
#        livepredict/linux/install.sh               (from a built bundle or a copy of it)
# XDG_DATA_HOME and LIVEPREDICT_BIN_DIR override ~/.local/share and ~/.local/bin.
# packaging/linux/uninstall.sh (also installed as ~/.local/share/livepredict/linux/uninstall.sh)
# removes everything again.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)

if [ $# -ge 1 ]; then
  BUNDLE=$1
elif [ -x "$HERE/../livepredict" ] && [ -d "$HERE/../_internal" ]; then
  BUNDLE=$HERE/..                       # this script ships inside the bundle
else
  BUNDLE=$HERE/../../dist/livepredict   # this script runs from the source tree
fi
if [ ! -x "$BUNDLE/livepredict" ] || [ ! -d "$BUNDLE/_internal" ]; then
  echo "install.sh: no built bundle at $BUNDLE; build it first with: make package" >&2
  exit 2
fi
BUNDLE=$(cd "$BUNDLE" && pwd)

DATA=${XDG_DATA_HOME:-$HOME/.local/share}
BIN=${LIVEPREDICT_BIN_DIR:-$HOME/.local/bin}
APPDIR=$DATA/livepredict
ICONS=$BUNDLE/_internal/resources/icons

if [ "$BUNDLE" != "$APPDIR" ]; then
  # Copy beside the old install, then swap, so a failed copy never leaves half an app behind.
  mkdir -p "$DATA"
  rm -rf "$APPDIR.new"
  cp -a "$BUNDLE" "$APPDIR.new"
  mkdir -p "$APPDIR.new/linux"
  for f in install.sh uninstall.sh livepredict.desktop livepredict-mime.xml; do
    cp "$HERE/$f" "$APPDIR.new/linux/$f" 2>/dev/null || true
  done
  rm -rf "$APPDIR"
  mv "$APPDIR.new" "$APPDIR"
fi

mkdir -p "$BIN"
ln -sfn "$APPDIR/livepredict" "$BIN/livepredict"

for png in "$ICONS"/hicolor/*/apps/livepredict.png; do
  size=$(basename "$(dirname "$(dirname "$png")")")
  install -D -m 644 "$png" "$DATA/icons/hicolor/$size/apps/livepredict.png"
done
install -D -m 644 "$ICONS/livepredict.svg" "$DATA/icons/hicolor/scalable/apps/livepredict.svg"

# The menu entry runs the installed executable by its absolute path: ~/.local/bin is not on the
# PATH of every desktop session.
mkdir -p "$DATA/applications"
sed -e "s|^Exec=livepredict |Exec=\"$APPDIR/livepredict\" |" -e "s|^TryExec=.*|TryExec=$APPDIR/livepredict|" \
  "$HERE/livepredict.desktop" > "$DATA/applications/livepredict.desktop"
chmod 644 "$DATA/applications/livepredict.desktop"

install -D -m 644 "$HERE/livepredict-mime.xml" "$DATA/mime/packages/livepredict.xml"

# Refresh the caches desktops read; each tool is optional.
if command -v update-mime-database >/dev/null 2>&1; then
  update-mime-database "$DATA/mime" >/dev/null 2>&1 || true
fi
if command -v update-desktop-database >/dev/null 2>&1; then
  update-desktop-database -q "$DATA/applications" || true
fi
if command -v gtk-update-icon-cache >/dev/null 2>&1; then
  gtk-update-icon-cache -q -t -f "$DATA/icons/hicolor" || true
fi
if command -v xdg-mime >/dev/null 2>&1; then
  # Make Live Predict the default for .keras and .tflite files (not for every HDF5 file).
  XDG_DATA_HOME=$DATA xdg-mime default livepredict.desktop application/x-keras application/x-tflite \
    >/dev/null 2>&1 || true
fi

echo "Installed $("$APPDIR/livepredict" --version) into $APPDIR"
echo "  menu entry: $DATA/applications/livepredict.desktop"
echo "  command:    $BIN/livepredict"
case ":$PATH:" in *":$BIN:"*) ;; *) echo "  note: $BIN is not on your PATH; add it to run 'livepredict' in a terminal." ;; esac
echo "Uninstall with: $APPDIR/linux/uninstall.sh"
