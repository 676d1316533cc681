# knetsim — see README.md. `make deps` installs what is missing (Debian),
# `make` builds, `make test` runs every suite.

PREFIX  ?= /usr/local
DESTDIR ?=
BINDIR  := $(PREFIX)/bin
SHAREDIR := $(PREFIX)/share/knetsim

CC      ?= cc
PKGS    := libnl-3.0 libnl-route-3.0 yaml-0.1 libcjson libcurl libnftables \
	   libssl libcrypto
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
CFLAGS  ?= -O2 -g
CPPFLAGS += -D_GNU_SOURCE -Ilib -Iinclude -Isim -Iagent \
	    -DKNETSIM_SHAREDIR='"$(SHAREDIR)"' $(PKG_CFLAGS)
ALL_CFLAGS = -std=gnu11 $(WARN) $(CFLAGS)
LDLIBS  += $(PKG_LIBS) -lpthread

B := build

# `make V=1` shows every command.
ifeq ($(V),1)
Q :=
msg = @true
else
Q := @
msg = @printf '  %-6s %s\n' $(1) $(2)
endif

# BPF: one object per attach point, linked into one, and its skeleton.
CLANG    ?= clang
BPFTOOL  ?= bpftool
MULTIARCH := $(shell $(CC) -print-multiarch 2>/dev/null)
BPF_CFLAGS := -O2 -g -target bpf $(WARN) -Iinclude \
	      $(if $(MULTIARCH),-I/usr/include/$(MULTIARCH))
BPF_SRCS := $(wildcard bpf/*.c)
BPF_OBJS := $(BPF_SRCS:%.c=$(B)/%.bpf.o)
BPF_SKEL := $(B)/bpf/datapath.skel.h
CPPFLAGS += -I$(B)/bpf
LDLIBS   += -lbpf -lelf -lz

LIB_SRCS := $(wildcard lib/*.c)
SIM_SRCS := $(filter-out sim/main.c,$(wildcard sim/*.c))
AGENT_SRCS := $(filter-out agent/main.c,$(wildcard agent/*.c))
CNI_SRCS := $(filter-out cni/main.c,$(wildcard cni/*.c))
TOOL_SRCS := $(wildcard tools/*.c)

LIB_OBJS := $(LIB_SRCS:%.c=$(B)/%.o)
SIM_OBJS := $(SIM_SRCS:%.c=$(B)/%.o)
AGENT_OBJS := $(AGENT_SRCS:%.c=$(B)/%.o)
CNI_OBJS := $(CNI_SRCS:%.c=$(B)/%.o)

BINS := $(B)/knetsim $(B)/knetsim-agent $(B)/knetsim-cni \
	$(TOOL_SRCS:tools/%.c=$(B)/tools/%)

.PHONY: all deps test test-unit test-bpf test-conformance test-integration check-root bench install \
	uninstall clean
all: $(BINS)

deps:
	@sh tools/deps.sh

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(B)/bpf/%.bpf.o: bpf/%.c
	@mkdir -p $(dir $@)
	$(call msg,CLANG,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -MMD -MP -c -o $@ $<

$(B)/bpf/datapath.bpf.o: $(BPF_OBJS)
	$(call msg,GEN,$@)
	$(Q)$(BPFTOOL) gen object $@ $^

$(BPF_SKEL): $(B)/bpf/datapath.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name knetsim_dp > $@.tmp
	$(Q)mv $@.tmp $@

$(B)/lib/datapath.o: $(BPF_SKEL)

# sim/services_store.c shares the service object code with the agent.
$(B)/knetsim: $(B)/sim/main.o $(SIM_OBJS) $(B)/agent/services.o $(LIB_OBJS)
	$(call msg,LD,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/knetsim-agent: $(B)/agent/main.o $(AGENT_OBJS) $(LIB_OBJS)
	$(call msg,LD,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/knetsim-cni: $(B)/cni/main.o $(CNI_OBJS) $(LIB_OBJS)
	$(call msg,LD,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/tools/%: $(B)/tools/%.o $(LIB_OBJS)
	$(call msg,LD,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Unit tests: pure logic, built again with ASan and UBSan.
SAN      := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
UB       := $(B)/san
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(UB)/tests/unit/%)

$(UB)/lib/datapath.o: $(BPF_SKEL)

$(UB)/%.o: %.c
	@mkdir -p $(dir $@)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(SAN) -MMD -MP -c -o $@ $<

UNIT_DEPS := $(SIM_OBJS) $(AGENT_OBJS) $(LIB_OBJS)
$(UB)/tests/unit/%: $(UB)/tests/unit/%.o $(UNIT_DEPS:$(B)/%=$(UB)/%)
	$(call msg,LD,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcmocka

# BPF_PROG_TEST_RUN tests: datapath decisions on crafted packets (root).
BPF_TEST_SRCS := $(wildcard tests/bpf/test_*.c)
BPF_TEST_BINS := $(BPF_TEST_SRCS:tests/bpf/%.c=$(UB)/tests/bpf/%)
$(UB)/tests/bpf/%: $(UB)/tests/bpf/%.o $(UB)/lib/datapath.o $(UB)/lib/fsutil.o \
		   $(UB)/lib/datapath_lb.o $(UB)/lib/maglev.o $(UB)/lib/log.o \
		   $(UB)/agent/proxy_bpf.o $(UB)/agent/svc_index.o
	$(call msg,LD,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcmocka

test-bpf: $(BPF_TEST_BINS)
	@set -e; for t in $(BPF_TEST_BINS); do \
		ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 $$t; done

# The CNI plugin's unit test also links the plugin's objects.
$(UB)/tests/unit/test_cni: $(CNI_OBJS:$(B)/%=$(UB)/%)

# The plugin driven through the reference library libcni (Go).
test-conformance: $(B)/knetsim-cni check-root
	KNETSIM_CNI=$(CURDIR)/$(B)/knetsim-cni sh tests/conformance/run.sh

test-unit: $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do \
		KNETSIM_SRCDIR=$(CURDIR) ASAN_OPTIONS=detect_leaks=1 \
		UBSAN_OPTIONS=print_stacktrace=1 $$t; done

check-root:
	@if [ "$$(id -u)" -ne 0 ]; then \
		echo "make test: the integration tests build network namespaces and" >&2; \
		echo "  need root; run 'sudo make test' (unit tests: 'make test-unit')." >&2; \
		exit 1; fi

test-integration: all check-root
	KNETSIM=$(CURDIR)/$(B)/knetsim sh tests/integration/run.sh tests/integration

# The README's test command: installs what is missing, builds, runs it all.
test: deps
	@$(MAKE) --no-print-directory check-root all
	@$(MAKE) --no-print-directory test-unit
	@$(MAKE) --no-print-directory test-bpf
	@$(MAKE) --no-print-directory test-conformance
	@$(MAKE) --no-print-directory test-integration

bench: all check-root
	tools/bench/run

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SHAREDIR)
	install -m 0755 $(B)/knetsim $(B)/knetsim-agent $(B)/knetsim-cni $(DESTDIR)$(BINDIR)/
	install -m 0755 $(B)/tools/responder $(DESTDIR)$(BINDIR)/knetsim-responder
	install -m 0644 conf/*.yaml $(DESTDIR)$(SHAREDIR)/

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/knetsim $(DESTDIR)$(BINDIR)/knetsim-agent \
	      $(DESTDIR)$(BINDIR)/knetsim-cni $(DESTDIR)$(BINDIR)/knetsim-responder
	rm -rf $(DESTDIR)$(SHAREDIR)

clean:
	rm -rf $(B)

-include $(shell find $(B) -name '*.d' 2>/dev/null)

# The README's first command: build, install, bring up the default lab.
up: deps
	@$(MAKE) --no-print-directory check-root install
	$(BINDIR)/knetsim up
.PHONY: up
