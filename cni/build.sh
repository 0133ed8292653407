#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Builds the cxlmem CNI plugin offline against Debian's packaged Go sources
# of the CNI library and its helpers (golang-github-appc-cni-dev,
# golang-github-containernetworking-plugins-dev, golang-github-vishvananda-
# netlink-dev, ...), in GOPATH mode: no module proxy, no download.
#
#   cni/build.sh OUTPUT SRCDIR CACHEDIR
set -eu
out="$(realpath -m "$1")" src="$2" cache="$(realpath -m "$3")"
export GO111MODULE=off GOPATH=/usr/share/gocode GOPROXY=off GOTOOLCHAIN=local GOFLAGS= \
       GOCACHE="$cache" CGO_ENABLED=0
cd "$src"
exec go build -trimpath -o "$out" .
