#!/usr/bin/env bash
# test/chroot/debian12.sh [--full] [--demo] [TEST...]: test/chroot/debian.sh for
# Debian 12; see there.
exec "$(dirname "${BASH_SOURCE[0]}")/debian.sh" 12 "$@"
