#!/usr/bin/env bash
# Build the Linux bundle, tarball and .deb, and smoke-test them: the tests marked `bundle`
# (the bundle and the unpacked tarball start with --screenshot offscreen, paint the default
# scene and exit 0; the .deb's fields and files). As root, also installs the .deb, runs the
# installed /usr/bin/conv-explorer the same way, and removes it again.
#   packaging/ci_smoke.sh      (~5 min on 2 cores; .ci/run calls it after the test suite)
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
export QT_QPA_PLATFORM=offscreen
t0=$SECONDS
packaging/build.sh

installed=0
if [ "$(id -u)" = 0 ] && command -v dpkg >/dev/null && ! dpkg -s conv-explorer >/dev/null 2>&1; then
  deb=$(ls packaging/dist/conv-explorer_*_*.deb | tail -1)
  # The .deb's dependencies come from the distribution's archive: a machine whose package
  # lists cannot be refreshed skips the installed-package test rather than failing the build.
  if command -v apt-get >/dev/null; then
    if (apt-get update -qq && apt-get install -y -q --no-install-recommends "./$deb") >/dev/null 2>&1; then
      installed=1
    else
      echo "ci_smoke: could not install $deb with apt-get; skipping the installed-package test" >&2
    fi
  elif dpkg -i "$deb"; then
    installed=1
  fi
fi
rc=0
CONV_EXPLORER_TEST_INSTALLED=$installed "$VENV/bin/python" -m pytest tests/packaging -m bundle \
  -q -p no:cacheprovider || rc=$?
if [ "$installed" = 1 ]; then
  dpkg -r conv-explorer >/dev/null
  test ! -e /usr/bin/conv-explorer && test ! -e /opt/conv-explorer/conv-explorer
fi
echo "ci_smoke: $((SECONDS - t0)) s, pytest exit $rc"
exit $rc
