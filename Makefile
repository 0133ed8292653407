# Shortcuts; the scripts are the real entry points (see README.md).
#   make            build in build/ (runs scripts/setup.sh first if needed)
#   make demo       ./scripts/demo.sh
#   make test       ./scripts/test.sh
#   make install    build, then meson install (plugin into DPDK's plugin dir)
#   make setup      ./scripts/setup.sh

BUILDDIR ?= build

.PHONY: all build setup demo test install uninstall

all: build

build:
	bash -c 'source scripts/lib.sh && cxlmem_ensure_built "$(BUILDDIR)"'

setup:
	./scripts/setup.sh

demo:
	./scripts/demo.sh

test:
	./scripts/test.sh

install: build
	meson install -C "$(BUILDDIR)"

uninstall:
	ninja -C "$(BUILDDIR)" uninstall
