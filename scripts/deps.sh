#!/usr/bin/env bash
# Installs the Debian packages that building and testing Reelmart need beyond Go:
# FFmpeg 5.1's development libraries (go-astiav binds them through cgo), the
# ffmpeg/ffprobe CLIs (tests generate and inspect media with them), and Chromium
# (browser playback tests). Quick when everything is already there.
set -euo pipefail

packages=(
  pkg-config ffmpeg
  libavcodec-dev libavformat-dev libavutil-dev libavfilter-dev libavdevice-dev libswscale-dev libswresample-dev
  chromium fonts-dejavu-core
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  exit 0
fi
if [[ $(id -u) != 0 ]]; then
  echo "deps: missing Debian packages: ${missing[*]} (run as root, or install them with apt-get)" >&2
  exit 1
fi
echo "deps: installing ${missing[*]}" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
