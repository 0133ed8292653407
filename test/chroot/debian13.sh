#!/usr/bin/env bash
# test/chroot/debian13.sh [--full] [--demo] [TEST...]: test/chroot/debian.sh for
# Debian 13; see there.
exec "$(dirname "${BASH_SOURCE[0]}")/debian.sh" 13 "$@"
