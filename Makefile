# Entry points for people and CI. Every target that needs Python runs tools/setup.sh first, which
# installs the pinned packages into .venv and links this checkout into .collections.
SHELL := /bin/bash
.DEFAULT_GOAL := help

.PHONY: help setup deploy test cluster cluster-down

help:
	@echo "make deploy        set everything up and run site.yml (see README)"
	@echo "make test          run every test tier (TIERS=\"unit live\" for some)"
	@echo "make cluster       start the local control plane; prints KUBECONFIG=<path> last"
	@echo "make cluster-down  stop the local control plane and wipe its data"

setup:
	@tools/setup.sh

deploy: setup
	@tools/deploy.sh $(ARGS)

test: setup
	@tools/test.sh $(TIERS)

cluster:
	@tests/cluster/up.sh

cluster-down:
	@tests/cluster/down.sh
