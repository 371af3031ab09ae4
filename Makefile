# ecsd - a local Amazon ECS control plane.
#
#   make run     install what is missing (Debian), build, start ecsd
#   make test    install what is missing, build, run every test
#   make asan    the same tests against an ASan+UBSan build
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

asan:
	@tools/bootstrap.sh --test
	@$(MAKE) --no-print-directory BUILD=build-asan CC=clang \
	    CFLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined" \
	    LDFLAGS="-fsanitize=address,undefined" all
	ECSD_BUILD=build-asan tests/run

docs: $(BUILD)/unit
	$(BUILD)/unit --coverage > docs/api-coverage.md

clean:
	rm -rf build build-asan

.PHONY: all deps run unit test asan docs clean

# ---- benchmark ----------------------------------------------------------
# bench/run.py: ecsd and moto_server side by side (wrk), start-up, memory,
# scale, task launch against the Docker floor. docs/performance.md.
bench:
	@bench/setup.sh
	@$(MAKE) --no-print-directory all
	python3 bench/run.py $(if $(filter-out 0,$(QUICK)),--quick)

.PHONY: bench

-include $(LIB_OBJ:.o=.d) $(UNIT_OBJ:.o=.d) $(BUILD)/daemon/main.d
