# Two commands on a fresh clone: `make demo` and `make test`. Both create .venv when missing.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.requirements-installed
export DBT_PROFILES_DIR := $(CURDIR)
export PYTHONPATH := $(CURDIR)/scripts

.PHONY: venv demo test unit lint generate check clean spark test-spark demo-spark

$(STAMP): requirements.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $(STAMP)

venv: $(STAMP)

# Generate the demo store (customers on several devices, emails and CRM ids: stitched into
# one profile each, docs/identity.md); evaluate every segment as of yesterday, then today, each evaluation
# delivered to the destinations (destinations/: files under warehouse/activation/); publish the BI
# serving file; print sizes and who entered and exited between the two evaluations, and each
# Customer AI model's held-out AUC and top-decile lift.
# The demo resets its own warehouse file (DEMO_DUCKDB_PATH), history included, and the files
# its destination wrote.
YESTERDAY := $(shell date -u -d yesterday +%Y-%m-%dT%H:%M:%S)
DEMO_DUCKDB_PATH ?= warehouse/segments.duckdb
demo: export SEGMENTS_DUCKDB_PATH := $(DEMO_DUCKDB_PATH)
demo: export SEGMENTS_SERVING_PATH := $(dir $(DEMO_DUCKDB_PATH))serving.duckdb
demo: venv
	rm -rf $(DEMO_DUCKDB_PATH) $(DEMO_DUCKDB_PATH).wal warehouse/activation
	scripts/seg demo --identities
	scripts/seg generate
	SEGMENTS_AS_OF=$(YESTERDAY) $(BIN)/dbt build --quiet
	scripts/seg sync
	$(BIN)/dbt build --quiet
	scripts/seg sync
	scripts/seg publish
	scripts/seg list
	scripts/seg models

test: venv
	$(BIN)/python -m pytest -q -n 2 --durations=10

# Spark (docs/spark.md): pyspark and dbt-spark into .venv, the Delta Lake jars from Maven Central
# into .spark/jars (git-ignored). Idempotent.
DELTA_VERSION := 4.0.0
SPARK_STAMP := $(VENV)/.spark-requirements-installed
SPARK_JARS := .spark/jars/delta-spark_2.13-$(DELTA_VERSION).jar .spark/jars/delta-storage-$(DELTA_VERSION).jar

$(SPARK_STAMP): requirements-spark.txt $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-spark.txt
	@touch $(SPARK_STAMP)

.spark/jars/%-$(DELTA_VERSION).jar:
	mvn -q dependency:copy -Dartifact=io.delta:$*:$(DELTA_VERSION) -DoutputDirectory=.spark/jars

spark: $(SPARK_STAMP) $(SPARK_JARS)

# The demo on local Spark, in a copy of the project under warehouse/spark-demo/: every demo
# file, Customer AI's included (dbt-spark runs no Python models, so `seg models train` trains and
# scores before each build, at the same as_of: docs/spark.md); evaluated as of yesterday, then
# today, then listed from Spark.
SPARK_DEMO := $(CURDIR)/warehouse/spark-demo
TODAY := $(shell date -u +%Y-%m-%dT%H:%M:%S)
demo-spark: export SEGMENTS_DUCKDB_PATH := $(SPARK_DEMO)/warehouse/demo.duckdb
demo-spark: export SEGMENTS_SPARK_WAREHOUSE := $(SPARK_DEMO)/warehouse/spark
demo-spark: export DBT_PROFILES_DIR := $(SPARK_DEMO)
demo-spark: export DBT_PROJECT_DIR := $(SPARK_DEMO)
demo-spark: export TZ := UTC
demo-spark: spark
	rm -rf $(SPARK_DEMO) && mkdir -p $(SPARK_DEMO)/segments $(SPARK_DEMO)/warehouse $(SPARK_DEMO)/.spark
	cp -r dbt_project.yml profiles.yml macros models data-tests spark $(SPARK_DEMO)/
	ln -s $(CURDIR)/.spark/jars $(SPARK_DEMO)/.spark/jars
	cp segments/*.yml $(SPARK_DEMO)/segments/
	scripts/seg --project-dir $(SPARK_DEMO) demo --profiles 5000 --events 200000 --target spark
	scripts/seg --project-dir $(SPARK_DEMO) generate
	SEGMENTS_AS_OF=$(YESTERDAY) scripts/seg --project-dir $(SPARK_DEMO) models train --target spark
	SEGMENTS_AS_OF=$(YESTERDAY) $(BIN)/dbt build --quiet --target spark --project-dir $(SPARK_DEMO)
	SEGMENTS_AS_OF=$(TODAY) scripts/seg --project-dir $(SPARK_DEMO) models train --target spark
	SEGMENTS_AS_OF=$(TODAY) $(BIN)/dbt build --quiet --target spark --project-dir $(SPARK_DEMO)
	scripts/seg --project-dir $(SPARK_DEMO) list --target spark
	scripts/seg --project-dir $(SPARK_DEMO) models --target spark

# The same YAML on Spark and DuckDB (one JVM for the whole run; its metastore under warehouse/).
test-spark: spark
	rm -rf warehouse/spark-test
	SEGMENTS_SPARK_WAREHOUSE=$(CURDIR)/warehouse/spark-test TZ=UTC $(BIN)/python -m pytest -q -p no:cacheprovider --durations=5 tests_spark

# The inner loop: the compiler's tests and doctests, no dbt (seconds).
unit: venv
	$(BIN)/python -m pytest -q -m unit -n 2

lint: venv
	$(BIN)/ruff check scripts tests tests_spark
	$(BIN)/ruff format --check scripts tests tests_spark
	scripts/seg generate --check

generate: venv
	scripts/seg generate

clean:
	rm -rf target logs warehouse/*.duckdb warehouse/*.wal
