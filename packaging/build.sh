#!/usr/bin/env bash
# Build the onedir bundle into dist/livepredict with PyInstaller (packaging/livepredict.spec).
# Niced: the build is CPU-heavy and the machine may be shared. Usage: packaging/build.sh
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PY=$VENV/bin/python
if ! "$PY" -c "import PyInstaller" 2>/dev/null; then
  echo "build.sh: PyInstaller is not installed; run: $PY -m pip install -e '.[package]'" >&2
  exit 2
fi
export TF_CPP_MIN_LOG_LEVEL=2 QT_QPA_PLATFORM=offscreen
start=$(date +%s)
nice -n 10 "$PY" -m PyInstaller --noconfirm --log-level WARN \
  --distpath dist --workpath build/pyinstaller packaging/livepredict.spec
# The Linux desktop integration travels with the bundle, so a copy of dist/livepredict (or a
# tarball of it) installs itself with livepredict/linux/install.sh.
mkdir -p dist/livepredict/linux
cp packaging/linux/install.sh packaging/linux/uninstall.sh packaging/linux/livepredict.desktop \
  packaging/linux/livepredict-mime.xml dist/livepredict/linux/
seconds=$(( $(date +%s) - start ))
size=$(du -sh dist/livepredict | cut -f1)
version=$(dist/livepredict/livepredict --version)
# BUILD-INFO.txt is also the stamp `make package` compares with its inputs.
{
  echo "$version"
  echo "built: $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -sm), Python $("$PY" -c 'import platform; print(platform.python_version())')"
  echo "size: $size ($(du -sb dist/livepredict | cut -f1) bytes)"
  echo "build time: ${seconds}s"
} > dist/livepredict/BUILD-INFO.txt
# Date the stamp at the start of the build: a source edited while PyInstaller ran is newer, so the
# next `make package` rebuilds.
touch -d "@$start" dist/livepredict/BUILD-INFO.txt
echo "build.sh: built $version into dist/livepredict ($size) in ${seconds}s"
