# ecsd - a local Amazon ECS control plane.
#
#   make run     install what is missing (Debian), build, start ecsd
#   make test    install what is missing, build, run every test
#   make asan    the same tests against an ASan+UBSan build
#   make valgrind a daemon lifecycle (API, real tasks, shutdown) under valgrind
#   make fuzz    libFuzzer on the request path (FUZZ_SECONDS=0: until ^C)
#   make fuzz-ci the same for a bounded time (CI)
#   make lint    cppcheck and clang-tidy on the project's C files
#   make unit    only the C unit tests
#   make bench   ecsd against moto_server and the Docker floor (QUICK=1: ~3 min)
#   make docs    regenerate docs/api-coverage.md from the operation table

CC ?= cc
PKGS := libmicrohttpd jansson sqlite3 libuv libcurl libcrypto
BUILD ?= build
# CFLAGS and LDFLAGS are the user's (e.g. sanitizers); what ecsd needs is
# added on top, so a command-line CFLAGS cannot drop it.
CFLAGS ?= -O2 -g
ECSD_CFLAGS := -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -MMD -MP
ECSD_CFLAGS += $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
ECSD_CFLAGS += -DECSD_MODEL_PATH='"api/model.json"' -DECSD_PAUSE_PATH='"$(BUILD)/pause"'
LDLIBS += $(shell pkg-config --libs $(PKGS) 2>/dev/null)
ALL_CFLAGS = $(ECSD_CFLAGS) $(CFLAGS)

LIB_SRC := $(wildcard daemon/*.c api/*.c store/*.c scheduler/*.c)
LIB_SRC := $(filter-out daemon/main.c,$(LIB_SRC))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC := $(wildcard tests/unit/*.c)
UNIT_OBJ := $(UNIT_SRC:%.c=$(BUILD)/%.o)

all: $(BUILD)/ecsd $(BUILD)/unit

$(BUILD)/ecsd: $(BUILD)/daemon/main.o $(LIB_OBJ)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/unit: $(UNIT_OBJ) $(LIB_OBJ)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# The model and the pause program are embedded with .incbin, which -MMD
# cannot see. The pause program is static and never sanitized: it runs
# alone in an empty image.
$(BUILD)/api/model.o: api/model.json
$(BUILD)/scheduler/pause_image.o: $(BUILD)/pause
$(BUILD)/pause: scheduler/pause/pause.c
	@mkdir -p $(@D)
	gcc -static -Os -s -o $@ $<

# The Docker driver against a real engine, for test_docker_driver.py.
all: $(BUILD)/docker-check
$(BUILD)/docker-check: $(BUILD)/tests/docker/docker-check.o $(LIB_OBJ)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)
-include $(BUILD)/tests/docker/docker-check.d

deps:
	@tools/bootstrap.sh

run: deps
	@$(MAKE) --no-print-directory all
	$(BUILD)/ecsd $(ARGS)

unit: $(BUILD)/unit
	$(BUILD)/unit

test:
	@tools/bootstrap.sh --test
	@$(MAKE) --no-print-directory all
	tests/run

# The daemon's stderr goes to a test's log, which is removed with its data:
# sanitizer reports (a leak at exit changes nothing else) are written to
# build-asan/reports instead, and any report fails the run.
ASAN_REPORTS = $(CURDIR)/build-asan/reports
asan:
	@tools/bootstrap.sh --test
	@$(MAKE) --no-print-directory BUILD=build-asan CC=clang \
	    CFLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined" \
	    LDFLAGS="-fsanitize=address,undefined" all
	@rm -rf $(ASAN_REPORTS) && mkdir -p $(ASAN_REPORTS)
	@ASAN_OPTIONS=log_path=$(ASAN_REPORTS)/asan:detect_leaks=1 \
	UBSAN_OPTIONS=log_path=$(ASAN_REPORTS)/ubsan:print_stacktrace=1 \
	ECSD_BUILD=build-asan tests/run; rc=$$?; \
	if [ -n "$$(ls $(ASAN_REPORTS))" ]; then \
		echo "== sanitizer reports ($(ASAN_REPORTS))"; \
		head -n 60 $(ASAN_REPORTS)/*; rc=1; \
	else echo "asan: no sanitizer report"; fi; exit $$rc

docs: $(BUILD)/unit
	$(BUILD)/unit --coverage > docs/api-coverage.md

clean:
	rm -rf build build-asan build-fuzz

.PHONY: all deps run unit test asan docs clean

# ---- benchmark ----------------------------------------------------------
# bench/run.py: ecsd and moto_server side by side (wrk), start-up, memory,
# scale, task launch against the Docker floor. docs/performance.md.
bench:
	@bench/setup.sh
	@$(MAKE) --no-print-directory all
	python3 bench/run.py $(if $(filter-out 0,$(QUICK)),--quick)

.PHONY: bench

# ---- build flags --------------------------------------------------------
# Objects remember the flags they were built with: a build directory made
# with other flags (or by a Makefile without -MMD, whose objects never see a
# header change) is rebuilt rather than mixed into the link.
BUILD_FLAGS = $(CC) $(ALL_CFLAGS) $(LDFLAGS)
ifneq ($(file <$(BUILD)/.flags),$(BUILD_FLAGS))
$(shell mkdir -p $(BUILD))
$(file >$(BUILD)/.flags,$(BUILD_FLAGS))
endif
$(LIB_OBJ) $(UNIT_OBJ) $(BUILD)/daemon/main.o: $(BUILD)/.flags
$(BUILD)/tests/docker/docker-check.o $(BUILD)/tests/fuzz/fuzz_request.o: $(BUILD)/.flags

# ---- fuzzing ------------------------------------------------------------
# tests/fuzz/fuzz_request.c drives api_handle on a :memory: store (see its
# comment). Inputs it finds go to build-fuzz/corpus (the seeds in
# tests/fuzz/corpus stay as they are); a crash leaves build-fuzz/crash-*
# and fails the target. tests/fuzz/seeds.py rewrites the seeds.
FUZZ_CFLAGS := -O1 -g -fno-omit-frame-pointer \
    -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
FUZZ_SECONDS ?= 0
FUZZ_CI_SECONDS ?= 300
FUZZ_ARGS ?=

$(BUILD)/fuzz_request: $(BUILD)/tests/fuzz/fuzz_request.o $(LIB_OBJ)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)
-include $(BUILD)/tests/fuzz/fuzz_request.d

fuzz-build:
	@$(MAKE) --no-print-directory BUILD=build-fuzz CC=clang \
	    CFLAGS="$(FUZZ_CFLAGS)" LDFLAGS="-fsanitize=address,undefined" \
	    build-fuzz/fuzz_request

fuzz: fuzz-build
	@mkdir -p build-fuzz/corpus
	UBSAN_OPTIONS=print_stacktrace=1 build-fuzz/fuzz_request \
	    -dict=tests/fuzz/ecs.dict -max_len=16384 -timeout=20 \
	    -max_total_time=$(FUZZ_SECONDS) -artifact_prefix=build-fuzz/ \
	    -print_final_stats=1 $(FUZZ_ARGS) build-fuzz/corpus tests/fuzz/corpus

fuzz-ci:
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=$(FUZZ_CI_SECONDS)

# ---- valgrind and lint --------------------------------------------------
# tests/valgrind/lifecycle.py: a daemon's whole life under valgrind (every
# resource, real tasks, restart and adoption, reset, SIGTERM): no leak, no
# error. tests/lint/run.sh: cppcheck and clang-tidy, see its comment.
valgrind:
	@tools/bootstrap.sh --test
	@command -v valgrind >/dev/null || { echo "make valgrind needs valgrind" \
	    "(apt-get install valgrind)"; exit 2; }
	@$(MAKE) --no-print-directory all
	ECSD_BUILD=$(BUILD) python3 tests/valgrind/lifecycle.py

lint:
	tests/lint/run.sh

.PHONY: fuzz-build fuzz fuzz-ci valgrind lint

-include $(LIB_OBJ:.o=.d) $(UNIT_OBJ:.o=.d) $(BUILD)/daemon/main.d
